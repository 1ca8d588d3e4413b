"""A custom runtime's entry point, checked the same way by every backend."""

from __future__ import annotations

import os
from pathlib import Path

from emulator import wire
from emulator.errors import EnvironmentFailed

# Lambda's wording for a code folder with no bootstrap, and for one it cannot execute.
MISSING = "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]"
NOT_EXECUTABLE = "fork/exec /var/task/bootstrap: permission denied"


def check_bootstrap(task_root: Path) -> Path:
    """The executable `bootstrap` of a custom runtime, or Runtime.InvalidEntrypoint."""
    bootstrap = task_root / "bootstrap"
    if not bootstrap.is_file():
        raise EnvironmentFailed(wire.RUNTIME_INVALID_ENTRYPOINT, MISSING)
    if not os.access(bootstrap, os.X_OK):
        raise EnvironmentFailed(wire.RUNTIME_INVALID_ENTRYPOINT, NOT_EXECUTABLE)
    return bootstrap
