"""Hot reload for `lambdock up`: watch the template and each function's code folder.

- A change in a function's code folder retires that function's environments (`pool.drain`):
  idle ones stop now, busy ones when their invocation ends on the old code, and the next
  invocation starts on the new code.
- A change of the template (or of the `--env-vars` file) loads it again. When it loads, it
  replaces the served one (routes, functions and triggers with it) and functions whose
  configuration changed are drained; when it does not, the last good template keeps serving and
  the error is printed and shown on the dashboard.

The watching itself is watchfiles (file system notifications, with its own debouncing).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import watchfiles

from emulator.errors import LambdockError
from emulator.services import Services
from emulator.settings import Settings
from emulator.stack import load_stack_template
from emulator.template import template_path
from emulator.template.models import FunctionConfig, Template

log = logging.getLogger("lambdock.watch")

# Folders whose changes never mean new code: tool caches and lambdock's own state.
IGNORED_DIRS = (".aws-sam", ".lambdock", ".ruff_cache", ".git", "__pycache__", "node_modules")

Loader = Callable[[Settings], Template]
RETRY_SECONDS = 5.0
# How many changed paths a reload notice names.
SHOW_PATHS = 3


@dataclasses.dataclass(frozen=True)
class TemplateChange:
    """How a reloaded template differs from the served one, by function name."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]

    def describe(self) -> str:
        """`+New -Old ~Changed`, or `no function changed`."""
        parts = [f"+{n}" for n in self.added] + [f"-{n}" for n in self.removed]
        parts += [f"~{n}" for n in self.changed]
        return " ".join(parts) or "no function changed"


def _runnable(function: FunctionConfig) -> FunctionConfig:
    # A function's events (routes, triggers) do not change what runs in its environments.
    return dataclasses.replace(function, events=())


def compare(old: Template, new: Template) -> TemplateChange:
    """Which functions a reload adds, removes, or changes in a way their environments see."""
    added = tuple(name for name in new.functions if name not in old.functions)
    removed = tuple(name for name in old.functions if name not in new.functions)
    changed = tuple(
        name
        for name, function in new.functions.items()
        if name in old.functions and _runnable(old.functions[name]) != _runnable(function)
    )
    return TemplateChange(added, removed, changed)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def functions_using(template: Template, changed: Iterable[Path]) -> tuple[str, ...]:
    """The functions whose code folder holds one of the changed paths."""
    paths = [path.resolve() for path in changed]
    return tuple(
        function.function_name
        for function in template.functions.values()
        if function.code_uri is not None
        and any(_inside(path, function.code_uri.resolve()) for path in paths)
    )


def template_file(settings: Settings) -> Path:
    """The template file itself, also when the settings name its project folder."""
    return template_path(settings.template).resolve()


def watched_roots(settings: Settings, template: Template) -> tuple[Path, ...]:
    """The project folder, and code folders outside it (CodeUri: ../shared), that exist."""
    project = template_file(settings).parent
    roots = [project]
    if settings.env_vars_file is not None:
        roots.append(settings.env_vars_file.resolve().parent)
    for function in template.functions.values():
        code = function.code_uri.resolve() if function.code_uri is not None else None
        if code is not None and not any(_inside(code, root) for root in roots):
            roots.append(code)
    return tuple(root for root in roots if root.exists())


def forget_bytecode(changed: Iterable[Path]) -> int:
    """Delete the cached bytecode of changed Python files; returns how many were deleted.

    Python trusts a `__pycache__` file whose recorded source mtime (whole seconds) and size
    match, so an edit that keeps the size within the second of the last import would run the old
    code. Lambda never meets this: its task root is read-only, so no bytecode is written there.
    """
    removed = 0
    for path in changed:
        if path.suffix != ".py":
            continue
        for cached in (path.parent / "__pycache__").glob(f"{path.stem}.*.pyc"):
            with contextlib.suppress(OSError):
                cached.unlink()
                removed += 1
    return removed


class Reloader:
    """Applies file changes to a running lambdock."""

    def __init__(self, services: Services, *, load: Loader = load_stack_template) -> None:
        self.services = services
        self._load = load
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.watching = False
        self.reloads = 0
        self.error: str | None = None

    def _template_files(self) -> set[Path]:
        settings = self.services.settings
        files = {template_file(settings)}
        if settings.env_vars_file is not None:
            files.add(settings.env_vars_file.resolve())
        return files

    async def apply(self, changed: set[Path]) -> None:
        """React to changed paths: reload the template if it changed, drain changed code."""
        resolved = {path.resolve() for path in changed}
        if resolved & self._template_files():
            await self.reload_template()
        code = resolved - self._template_files()
        names = functions_using(self.services.template(), code)
        if names:
            forget_bytecode(code)
        for name in names:
            await self.services.pool.drain(name)
        if names:
            shown = sorted(self._relative(path) for path in resolved)
            more = f" and {len(shown) - SHOW_PATHS} more" if len(shown) > SHOW_PATHS else ""
            self.services.console.notice(
                f"{', '.join(shown[:SHOW_PATHS])}{more} changed: "
                f"new code for {', '.join(names)} from the next invocation"
            )

    def _relative(self, path: Path) -> str:
        with contextlib.suppress(ValueError):
            return str(path.relative_to(template_file(self.services.settings).parent))
        return str(path)

    async def reload_template(self) -> bool:
        """Load the template again; keep the old one (and say why) when it does not load."""
        services = self.services
        try:
            new = await asyncio.to_thread(self._load, services.settings)
        except LambdockError as exc:
            self.error = str(exc)
            services.console.error(f"{exc}\n  still serving the last good template")
            return False
        change = compare(services.template(), new)
        services.stack.replace(new)
        for name in (*change.removed, *change.changed):
            await services.pool.drain(name)
        for hook in services.on_reload:
            await _guarded(hook(new), services)
        self.error = None
        self.reloads += 1
        services.console.notice(f"{new.path.name} reloaded: {change.describe()}")
        return True

    def status(self) -> dict[str, Any]:
        """What the health endpoint and the dashboard show about reloading."""
        return {
            "watching": self.watching,
            "reloads": self.reloads,
            "error": self.error,
        }

    async def start(self) -> None:
        """Begin watching; returns once the file system watch is in place."""
        self._task = asyncio.create_task(self._watch_forever())
        # The watch is registered in the task's first step (see _watch_forever).
        for _ in range(3):
            await asyncio.sleep(0)

    async def stop(self) -> None:
        """Stop watching."""
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _watch_forever(self) -> None:
        settings = self.services.settings
        only_files = watchfiles.DefaultFilter(
            ignore_dirs=(*watchfiles.DefaultFilter.ignore_dirs, *IGNORED_DIRS),
            ignore_paths=[str(settings.resolved_state_dir)],
        )
        while not self._stop.is_set():
            try:
                await self._watch(watched_roots(settings, self.services.template()), only_files)
            except Exception as exc:  # a watch limit reached, a folder gone while starting
                self.watching = False
                self.services.console.error(f"cannot watch files ({exc}); trying again")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), RETRY_SECONDS)
        self.watching = False

    async def _watch(self, roots: tuple[Path, ...], only_files: watchfiles.BaseFilter) -> None:
        """Watch `roots` until stopped or until a reload changes which roots to watch."""
        settings = self.services.settings
        self.watching = True
        # watchfiles registers the watch when iteration starts, before its first await.
        async for changes in watchfiles.awatch(
            *roots, watch_filter=only_files, stop_event=self._stop
        ):
            await self._apply_logged({Path(path) for _, path in changes})
            if watched_roots(settings, self.services.template()) != roots:
                return

    async def _apply_logged(self, changed: set[Path]) -> None:
        try:
            await self.apply(changed)
        except Exception:
            log.exception("lambdock: reloading failed")


async def _guarded(done: Awaitable[None], services: Services) -> None:
    try:
        await done
    except Exception as exc:
        services.console.error(f"after the reload, a trigger could not follow: {exc}")


def watch_files(services: Services) -> Reloader:
    """Watch while the app runs; the health endpoint reports the reloader under `watch`."""
    reloader = Reloader(services)
    services.startups.append(reloader.start)
    services.shutdowns.append(reloader.stop)
    services.health["watch"] = reloader.status
    return reloader
