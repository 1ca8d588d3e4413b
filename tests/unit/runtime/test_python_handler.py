"""Finding the handler named by ``_HANDLER``, and the error each failure gives.

Messages and error types follow awslambdaric 4.2.2 (aws/aws-lambda-python-runtime-interface-
client, ``awslambdaric/bootstrap.py``, ``_get_handler``); the search path follows the AWS Lambda
developer guide ("Working with layers for Python Lambda functions": task root, then
``/opt/python/lib/pythonX.Y/site-packages``, then ``/opt/python``).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from lambdock_runtime.errors import FaultError
from lambdock_runtime.handler import prepare_sys_path, resolve_handler, search_path


@pytest.fixture
def task_root(tmp_path: Path) -> Iterator[Path]:
    """A task root on sys.path; its modules are forgotten afterwards."""
    root = tmp_path / "task"
    root.mkdir()
    saved_path = list(sys.path)
    sys.path.insert(0, str(root))
    yield root
    sys.path[:] = saved_path
    for name, module in list(sys.modules.items()):
        if str(root) in str(getattr(module, "__file__", None) or getattr(module, "__path__", "")):
            del sys.modules[name]


def write(root: Path, files: dict[str, str]) -> None:
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    importlib.invalidate_caches()


def fault_of(name: str) -> tuple[str, str, list[str]]:
    with pytest.raises(FaultError) as raised:
        resolve_handler(name)
    return raised.value.error_type, raised.value.message, raised.value.trace


def test_a_module_at_the_task_root(task_root: Path) -> None:
    write(task_root, {"hr_app.py": "def handler(event, context):\n    return 'root'\n"})
    assert resolve_handler("hr_app.handler")({}, None) == "root"


def test_a_module_in_a_package_runs_the_packages_init(task_root: Path) -> None:
    write(
        task_root,
        {
            "hr_pkg/__init__.py": "STARTED = 'yes'\n",
            "hr_pkg/functions.py": (
                "from hr_pkg import STARTED\n\ndef handler(event, context):\n    return STARTED\n"
            ),
        },
    )
    assert resolve_handler("hr_pkg.functions.handler")({}, None) == "yes"


def test_a_module_in_nested_folders_named_with_slashes(task_root: Path) -> None:
    write(task_root, {"hr_src/api/app.py": "def handler(event, context):\n    return 'nested'\n"})
    assert resolve_handler("hr_src/api/app.handler")({}, None) == "nested"


def test_slashes_and_dots_can_be_mixed(task_root: Path) -> None:
    write(task_root, {"hr_mixed/sub/mod.py": "def handler(event, context):\n    return 'mixed'\n"})
    assert resolve_handler("hr_mixed/sub.mod.handler")({}, None) == "mixed"


def test_a_missing_module_is_an_import_module_error(task_root: Path) -> None:
    assert fault_of("hr_absent.handler") == (
        "Runtime.ImportModuleError",
        "Unable to import module 'hr_absent': No module named 'hr_absent'",
        [],
    )


def test_a_missing_dependency_is_an_import_module_error_naming_the_handler_module(
    task_root: Path,
) -> None:
    write(task_root, {"hr_deps.py": "import hr_not_installed\n"})
    assert fault_of("hr_deps.handler") == (
        "Runtime.ImportModuleError",
        "Unable to import module 'hr_deps': No module named 'hr_not_installed'",
        [],
    )


def test_a_missing_folder_keeps_the_slashes_in_the_message(task_root: Path) -> None:
    assert fault_of("hr_nodir/app.handler") == (
        "Runtime.ImportModuleError",
        "Unable to import module 'hr_nodir/app': No module named 'hr_nodir'",
        [],
    )


def test_a_missing_function_is_handler_not_found(task_root: Path) -> None:
    write(task_root, {"hr_nofn.py": "def handler(event, context):\n    return 1\n"})
    assert fault_of("hr_nofn.nope") == (
        "Runtime.HandlerNotFound",
        "Handler 'nope' missing on module 'hr_nofn'",
        [],
    )


def test_a_name_without_a_dot_is_malformed() -> None:
    assert fault_of("handler") == (
        "Runtime.MalformedHandlerName",
        "Bad handler 'handler': not enough values to unpack (expected 2, got 1)",
        [],
    )


def test_a_built_in_module_name_is_a_conflict() -> None:
    assert fault_of("sys.handler") == (
        "Runtime.BuiltInModuleConflict",
        "Cannot use built-in module sys as a handler module",
        [],
    )


def test_a_syntax_error_gives_its_file_line_and_text(task_root: Path) -> None:
    source = "def handler(event, context):\n    return (\n"
    write(task_root, {"hr_syntax.py": source})
    with pytest.raises(SyntaxError) as compiled:
        compile(source, str(task_root / "hr_syntax.py"), "exec")
    error = compiled.value
    assert fault_of("hr_syntax.handler") == (
        "Runtime.UserCodeSyntaxError",
        f"Syntax error in module 'hr_syntax': {error}",
        [f'  File "{task_root}/hr_syntax.py" Line {error.lineno}\n    {error.text}'],
    )


def test_other_exceptions_at_import_propagate_unchanged(task_root: Path) -> None:
    write(task_root, {"hr_raises.py": "raise KeyError('SETTING')\n"})
    with pytest.raises(KeyError, match="SETTING"):
        resolve_handler("hr_raises.handler")


def test_search_path_puts_the_task_root_then_existing_layer_folders(tmp_path: Path) -> None:
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site_packages = tmp_path / "opt" / "python" / "lib" / version / "site-packages"
    site_packages.mkdir(parents=True)
    assert search_path("/var/task", opt_dir=str(tmp_path / "opt")) == [
        "/var/task",
        str(site_packages),
        str(tmp_path / "opt" / "python"),
    ]


def test_search_path_leaves_out_absent_layer_folders(tmp_path: Path) -> None:
    assert search_path("/var/task", opt_dir=str(tmp_path / "no-opt")) == ["/var/task"]


def test_prepare_sys_path_moves_the_task_root_to_the_front_once(tmp_path: Path) -> None:
    saved = list(sys.path)
    try:
        sys.path.append("/var/task")
        prepare_sys_path("/var/task", opt_dir=str(tmp_path / "no-opt"))
        assert sys.path[0] == "/var/task"
        assert sys.path.count("/var/task") == 1
    finally:
        sys.path[:] = saved
