"""A function's declared dependencies, installed once and put where its runtime looks for them.

`sam build` installs a function's `requirements.txt` (pip) or `package.json` (npm) beside its
code before it is deployed. lambdock does the same on a function's first cold start: into
`<state dir>/deps/<code folder>-<manifest hash>/`, reused until the manifest changes. The folder is
put where Lambda puts a layer's content, which handlers already look in: `PYTHONPATH`
(Lambda: /opt/python) and `NODE_PATH` (Lambda: /opt/nodejs/node_modules). A Node.js function
whose folder already has `node_modules/` (`npm install` run there) is left as it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from emulator.errors import BackendError
from emulator.template.models import FunctionConfig

INSTALL_TIMEOUT_SECONDS = 600.0
DONE_MARKER = ".lambdock-installed"
_OUTPUT_TAIL = 2000


@dataclass(frozen=True)
class Manifest:
    """A dependency manifest in a function's code folder."""

    family: str
    path: Path
    digest: str


@dataclass(frozen=True)
class Target:
    """The Python an install is for when it is not the one running pip: a container's."""

    python_version: str
    machine: str = "x86_64"

    def pip_options(self) -> list[str]:
        """Binary wheels for Lambda's platform, as AWS's guide to Python .zip packages says
        (`--platform manylinux2014_<arch> --only-binary=:all:`)."""
        return [
            *("--python-version", self.python_version, "--implementation", "cp"),
            *("--platform", f"manylinux2014_{self.machine}", "--only-binary=:all:"),
        ]

    @property
    def suffix(self) -> str:
        """What tells this target's install folder from others of the same manifest."""
        return f"-py{self.python_version}-{self.machine}"


def _has_requirements(text: str) -> bool:
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return any(lines)


def _has_dependencies(text: str) -> bool:
    try:
        document = json.loads(text)
    except ValueError:
        return False
    return isinstance(document, dict) and bool(document.get("dependencies"))


def manifest_of(function: FunctionConfig) -> Manifest | None:
    """The manifest to install for a function, or None when it declares nothing to install."""
    code = function.code_uri
    if code is None:
        return None
    family = function.runtime_family
    if family == "python":
        path = code / "requirements.txt"
        wanted = path.is_file() and _has_requirements(path.read_text(errors="replace"))
    elif family == "nodejs":
        path = code / "package.json"
        wanted = (
            path.is_file()
            and not (code / "node_modules").is_dir()
            and _has_dependencies(path.read_text(errors="replace"))
        )
    else:
        return None
    if not wanted:
        return None
    # Functions that share a code folder share its install.
    seed = f"{family}\0{path.resolve()}\0".encode() + path.read_bytes()
    digest = hashlib.sha256(seed).hexdigest()[:16]
    return Manifest(family, path, digest)


def install_command(
    manifest: Manifest, folder: Path, *, python: str, npm: str, target: Target | None = None
) -> list[str]:
    """The command that installs a manifest into `folder` (run in the manifest's folder), for
    the Python running pip unless another `target` is given."""
    if manifest.family == "python":
        pip = [python, "-m", "pip", "install", "--disable-pip-version-check", "--no-input"]
        pip += target.pip_options() if target else []
        return [*pip, "--quiet", "--target", str(folder), "--requirement", str(manifest.path)]
    return [npm, "install", "--omit=dev", "--no-audit", "--no-fund", "--prefix", str(folder)]


def search_path(manifest: Manifest, installed: Path) -> dict[str, str]:
    """The variable (and value) that makes the installed folder visible to the runtime."""
    if manifest.family == "python":
        return {"PYTHONPATH": str(installed)}
    return {"NODE_PATH": str(installed / "node_modules")}


class DependencyInstaller:
    """Installs each function's manifest once per content, one install at a time per folder."""

    def __init__(self, root: Path, *, python: str, npm: str = "npm") -> None:
        self.root = root
        self._python = python
        self._npm = npm
        self._locks: dict[Path, asyncio.Lock] = {}

    async def search_path(
        self, function: FunctionConfig, target: Target | None = None
    ) -> dict[str, str]:
        """Install the function's dependencies if needed (for `target`'s Python if given: the
        Docker backend's containers); the variables that find them."""
        manifest = manifest_of(function)
        if manifest is None:
            return {}
        suffix = target.suffix if target and manifest.family == "python" else ""
        folder = self.root / f"{manifest.path.parent.name}-{manifest.digest}{suffix}"
        lock = self._locks.setdefault(folder, asyncio.Lock())
        async with lock:
            if not (folder / DONE_MARKER).exists():
                await self._install(function, manifest, folder, target)
        return search_path(manifest, folder)

    async def _install(
        self, function: FunctionConfig, manifest: Manifest, folder: Path, target: Target | None
    ) -> None:
        # Installed aside and renamed into place, so a folder with the marker is always whole
        # (another lambdock on the same project may be installing the same manifest).
        partial = folder.with_name(f"{folder.name}.part-{os.getpid()}")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        try:
            await self._install_into(function, manifest, partial, target)
            (partial / DONE_MARKER).write_text(manifest.digest)
            if not (folder / DONE_MARKER).exists():
                shutil.rmtree(folder, ignore_errors=True)
                with contextlib.suppress(OSError):  # the other install got there first
                    partial.rename(folder)
            if not (folder / DONE_MARKER).exists():
                raise BackendError(f"could not put the installed dependencies in {folder}")
        finally:
            shutil.rmtree(partial, ignore_errors=True)

    async def _install_into(
        self, function: FunctionConfig, manifest: Manifest, folder: Path, target: Target | None
    ) -> None:
        if manifest.family == "nodejs":
            shutil.copy2(manifest.path, folder / "package.json")
            lock_file = manifest.path.with_name("package-lock.json")
            if lock_file.is_file():
                shutil.copy2(lock_file, folder / "package-lock.json")
        print(
            f"lambdock: installing {function.logical_id}'s dependencies from "
            f"{manifest.path.name} (first use; kept in {folder.parent})",
            file=sys.stderr,
            flush=True,
        )
        command = install_command(
            manifest, folder, python=self._python, npm=self._npm, target=target
        )
        what = f"{function.logical_id}'s {manifest.path.name}"
        await _run(command, cwd=manifest.path.parent, what=what)


async def _run(command: list[str], *, cwd: Path, what: str) -> None:
    try:
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=str(cwd),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "PYTHONNOUSERSITE": "1"},
        )
    except OSError as exc:
        raise BackendError(f"cannot install {what}: {command[0]}: {exc.strerror}") from None
    try:
        output, _ = await asyncio.wait_for(process.communicate(), INSTALL_TIMEOUT_SECONDS)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise BackendError(
            f"installing {what} took longer than {INSTALL_TIMEOUT_SECONDS:.0f} s"
        ) from None
    if process.returncode != 0:
        tail = output.decode(errors="replace")[-_OUTPUT_TAIL:]
        raise BackendError(
            f"installing {what} failed ({command[0]} exit {process.returncode}):\n{tail}"
        )
