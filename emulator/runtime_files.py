"""Where the bundled runtime clients live: `runtime/` in a checkout, `_runtime` in a wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def runtime_root() -> Path:
    """The folder holding `python/` and `nodejs/` runtime clients."""
    for candidate in (_PACKAGE / "_runtime", _PACKAGE.parent / "runtime"):
        if (candidate / "python").is_dir():
            return candidate
    raise FileNotFoundError("lambdock's bundled runtime clients are missing from the install")
