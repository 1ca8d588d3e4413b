"""The dependency installer runs the install command once per manifest, safely, and reports
failures; a stand-in `python` records each run instead of installing from an index."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from emulator.dependencies import DONE_MARKER, DependencyInstaller
from emulator.errors import BackendError
from emulator.template.models import FunctionConfig

# Called as `python -m pip install ... --target DIR --requirement FILE`: writes a module into
# DIR, appends a line to runs.log, and fails when the requirements ask for "broken".
FAKE_PYTHON = """#!/bin/sh
while [ "$#" -gt 0 ]; do
  case "$1" in
    --target) target="$2"; shift ;;
    --requirement) requirements="$2"; shift ;;
  esac
  shift
done
echo run >> "{log}"
if grep -q broken "$requirements"; then
  echo "ERROR: No matching distribution for broken"; exit 1
fi
echo "VALUE = 42" > "$target/installed_dep.py"
"""


@pytest.fixture
def fake_python(tmp_path: Path) -> Path:
    script = tmp_path / "python"
    script.write_text(FAKE_PYTHON.replace("{log}", str(tmp_path / "runs.log")))
    script.chmod(0o755)
    return script


def runs(tmp_path: Path) -> int:
    log = tmp_path / "runs.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def function(code: Path, requirement: str) -> FunctionConfig:
    code.mkdir(exist_ok=True)
    (code / "requirements.txt").write_text(f"{requirement}\n")
    return FunctionConfig("Fn", "Fn", "app.handler", "python3.12", code)


async def test_concurrent_cold_starts_install_once_and_share_the_folder(
    tmp_path: Path, fake_python: Path
) -> None:
    installer = DependencyInstaller(tmp_path / "deps", python=str(fake_python))
    fn = function(tmp_path / "code", "pydantic")
    first, second = await asyncio.gather(installer.search_path(fn), installer.search_path(fn))
    assert first == second
    folder = Path(first["PYTHONPATH"])
    assert (folder / "installed_dep.py").read_text() == "VALUE = 42\n"
    assert (folder / DONE_MARKER).exists()
    assert runs(tmp_path) == 1
    assert sorted(p.name for p in (tmp_path / "deps").iterdir()) == [folder.name]


async def test_a_later_lambdock_reuses_the_install_until_the_manifest_changes(
    tmp_path: Path, fake_python: Path
) -> None:
    fn = function(tmp_path / "code", "pydantic")
    await DependencyInstaller(tmp_path / "deps", python=str(fake_python)).search_path(fn)
    again = DependencyInstaller(tmp_path / "deps", python=str(fake_python))
    await again.search_path(fn)
    assert runs(tmp_path) == 1
    changed = function(tmp_path / "code", "pydantic==2.6.0")
    await again.search_path(changed)
    assert runs(tmp_path) == 2


async def test_a_failed_install_is_reported_with_its_output_and_leaves_nothing(
    tmp_path: Path, fake_python: Path
) -> None:
    installer = DependencyInstaller(tmp_path / "deps", python=str(fake_python))
    with pytest.raises(BackendError, match="No matching distribution for broken"):
        await installer.search_path(function(tmp_path / "code", "broken"))
    assert list((tmp_path / "deps").iterdir()) == []
