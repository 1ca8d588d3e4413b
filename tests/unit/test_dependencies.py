"""Which dependency manifest a function declares, how it is installed, and where it is found."""

from __future__ import annotations

from pathlib import Path

from emulator.backends.base import EnvironmentSpec
from emulator.backends.process import ProcessBackend
from emulator.dependencies import Manifest, Target, install_command, manifest_of, search_path
from emulator.template.models import FunctionConfig


def function(code: Path, runtime: str = "python3.12") -> FunctionConfig:
    return FunctionConfig("Fn", "Fn", "app.handler", runtime, code)


def test_a_requirements_file_with_a_requirement_is_a_manifest(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("# parsing\npydantic>=2  # models\n")
    manifest = manifest_of(function(tmp_path))
    assert manifest is not None
    assert (manifest.family, manifest.path) == ("python", tmp_path / "requirements.txt")


def test_a_requirements_file_of_comments_only_installs_nothing(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("# boto3 is in the runtime\n\n")
    assert manifest_of(function(tmp_path)) is None


def test_the_manifest_digest_changes_with_its_content(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("pydantic\n")
    first = manifest_of(function(tmp_path))
    (tmp_path / "requirements.txt").write_text("pydantic==2.6.0\n")
    second = manifest_of(function(tmp_path))
    assert first is not None and second is not None
    assert first.digest != second.digest


def test_a_package_json_with_dependencies_is_a_manifest_for_nodejs(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"dependencies": {"@aws-sdk/client-s3": "^3"}}')
    manifest = manifest_of(function(tmp_path, "nodejs22.x"))
    assert manifest is not None and manifest.family == "nodejs"


def test_a_package_json_beside_node_modules_is_left_to_the_developer(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"dependencies": {"@aws-sdk/client-s3": "^3"}}')
    (tmp_path / "node_modules").mkdir()
    assert manifest_of(function(tmp_path, "nodejs22.x")) is None


def test_a_package_json_without_dependencies_installs_nothing(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"devDependencies": {"eslint": "^9"}}')
    assert manifest_of(function(tmp_path, "nodejs22.x")) is None


def test_a_manifest_of_another_runtime_family_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("pydantic\n")
    assert manifest_of(function(tmp_path, "provided.al2023")) is None


def test_pip_installs_into_the_target_with_the_functions_interpreter() -> None:
    manifest = Manifest("python", Path("/code/requirements.txt"), "abc")
    assert install_command(manifest, Path("/deps/x"), python="/py", npm="npm") == [
        "/py",
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "--quiet",
        "--target",
        "/deps/x",
        "--requirement",
        "/code/requirements.txt",
    ]


def test_npm_installs_the_copied_package_json_under_the_target() -> None:
    manifest = Manifest("nodejs", Path("/code/package.json"), "abc")
    assert install_command(manifest, Path("/deps/x"), python="/py", npm="npm") == [
        "npm",
        "install",
        "--omit=dev",
        "--no-audit",
        "--no-fund",
        "--prefix",
        "/deps/x",
    ]


def test_installed_folders_are_found_where_lambda_puts_layer_content() -> None:
    python = Manifest("python", Path("/code/requirements.txt"), "abc")
    nodejs = Manifest("nodejs", Path("/code/package.json"), "abc")
    assert search_path(python, Path("/deps/x")) == {"PYTHONPATH": "/deps/x"}
    assert search_path(nodejs, Path("/deps/x")) == {"NODE_PATH": "/deps/x/node_modules"}


def spec(fn: FunctionConfig) -> EnvironmentSpec:
    return EnvironmentSpec("env-1", fn, 9001, "stream", "us-east-1", {}, {})


def test_the_process_backend_puts_python_dependencies_before_its_runtime_client() -> None:
    backend = ProcessBackend(python="/py")
    variables = backend.environment(spec(function(Path("/code"))), {"PYTHONPATH": "/deps/x"})
    runtime_dir = variables["LAMBDA_RUNTIME_DIR"]
    assert variables["PYTHONPATH"] == f"/deps/x:{runtime_dir}"


def test_the_process_backend_gives_nodejs_dependencies_as_node_path() -> None:
    backend = ProcessBackend(python="/py")
    fn = function(Path("/code"), "nodejs22.x")
    variables = backend.environment(spec(fn), {"NODE_PATH": "/deps/x/node_modules"})
    assert variables["NODE_PATH"] == "/deps/x/node_modules"


def test_an_install_for_a_containers_python_asks_pip_for_lambdas_platform_wheels() -> None:
    manifest = Manifest("python", Path("/code/requirements.txt"), "abc")
    target = Target("3.12", "aarch64")
    command = install_command(manifest, Path("/deps/x"), python="/py", npm="npm", target=target)
    assert command[6:14] == [
        "--python-version",
        "3.12",
        "--implementation",
        "cp",
        "--platform",
        "manylinux2014_aarch64",
        "--only-binary=:all:",
        "--quiet",
    ]
    assert target.suffix == "-py3.12-aarch64"
