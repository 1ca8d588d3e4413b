"""Entry point: ``python -m lambdock_runtime [handler]``; the handler defaults to ``_HANDLER``."""

from __future__ import annotations

import sys

from .bootstrap import main

if __name__ == "__main__":
    sys.exit(main(sys.argv))
