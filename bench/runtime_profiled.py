"""The bundled Python runtime client under pyinstrument, for bench/profile.py.

    runtime_profiled.py SESSION_OUT WARM COUNT

Runs the runtime loop as `python -m lambdock_runtime` would; samples from the start of
invocation WARM to the end of invocation WARM + COUNT (so the `/next` calls between them are
included), then saves the pyinstrument session to SESSION_OUT and serves on unprofiled.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from lambdock_runtime import bootstrap
from pyinstrument import Profiler


def main(argv: list[str]) -> int:
    """Wrap the loop's `serve` to start and stop the profiler, then run the runtime."""
    out, warm, count = argv[1], int(argv[2]), int(argv[3])
    profiler = Profiler(interval=0.0001, async_mode="disabled")
    served = 0
    original = bootstrap.serve

    def serve(*args: Any) -> None:
        nonlocal served
        if served == warm:
            profiler.start()
        original(*args)
        served += 1
        if served == warm + count:
            session = profiler.stop()
            session.save(out + ".part")
            os.replace(out + ".part", out)  # whole, or not there: the reader polls for it

    bootstrap.serve = serve  # type: ignore[assignment]
    return bootstrap.main(["lambdock_runtime"])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
