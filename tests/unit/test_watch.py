"""What the watcher decides from changed paths and a reloaded template (pure parts)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from emulator.settings import Settings
from emulator.template.models import EventSpec, FunctionConfig, Template
from emulator.watch import (
    TemplateChange,
    compare,
    forget_bytecode,
    functions_using,
    watched_roots,
)


def fn(name: str, code: Path | None, **changes: object) -> FunctionConfig:
    base = FunctionConfig(
        logical_id=name,
        function_name=name,
        handler="app.handler",
        runtime="python3.12",
        code_uri=code,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def template(tmp_path: Path, *functions: FunctionConfig) -> Template:
    return Template(
        path=tmp_path / "template.yaml",
        stack_name="demo",
        region="us-east-1",
        account_id="123456789012",
        functions={f.function_name: f for f in functions},
        buckets={},
        resources={},
    )


def test_a_changed_file_names_the_functions_whose_code_folder_holds_it(tmp_path: Path) -> None:
    shared, own = tmp_path / "src", tmp_path / "other"
    served = template(tmp_path, fn("A", shared), fn("B", shared), fn("C", own), fn("D", None))
    assert functions_using(served, [shared / "pkg" / "util.py"]) == ("A", "B")
    assert functions_using(served, [own]) == ("C",)
    assert functions_using(served, [tmp_path / "README.md"]) == ()


def test_a_reload_reports_added_removed_and_changed_functions(tmp_path: Path) -> None:
    code = tmp_path / "src"
    old = template(tmp_path, fn("Keep", code), fn("Gone", code), fn("Tuned", code))
    new = template(tmp_path, fn("Keep", code), fn("Tuned", code, timeout=30), fn("New", code))
    change = compare(old, new)
    assert change == TemplateChange(added=("New",), removed=("Gone",), changed=("Tuned",))
    assert change.describe() == "+New -Gone ~Tuned"


def test_new_routes_or_triggers_do_not_change_what_runs(tmp_path: Path) -> None:
    code = tmp_path / "src"
    route = EventSpec("Get", "HttpApi", {"Path": "/x", "Method": "GET"})
    old = template(tmp_path, fn("A", code))
    new = template(tmp_path, fn("A", code, events=(route,)))
    assert compare(old, new).describe() == "no function changed"


def test_the_project_folder_and_code_outside_it_are_watched(tmp_path: Path) -> None:
    project, shared = tmp_path / "project", tmp_path / "shared"
    for folder in (project / "src", shared):
        folder.mkdir(parents=True)
    settings = Settings(template=project / "template.yaml")
    served = template(
        project, fn("A", project / "src"), fn("B", shared), fn("C", tmp_path / "missing")
    )
    assert watched_roots(settings, served) == (project.resolve(), shared.resolve())


def test_a_project_folder_given_as_the_template_is_watched_itself(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "template.yaml").write_text("Resources: {}\n")
    served = template(project)
    assert watched_roots(Settings(template=project), served) == (project.resolve(),)


def test_changed_python_files_lose_their_cached_bytecode(tmp_path: Path) -> None:
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    for name in ("app.cpython-311.pyc", "app.cpython-312.pyc", "other.cpython-311.pyc"):
        (cache / name).write_bytes(b"")
    removed = forget_bytecode([tmp_path / "app.py", tmp_path / "data.json"])
    assert removed == 2
    assert [path.name for path in cache.iterdir()] == ["other.cpython-311.pyc"]
