"""Make the bundled Python runtime client importable as ``lambdock_runtime`` in these tests."""

from __future__ import annotations

import sys
from pathlib import Path

RUNTIME_PYTHON_DIR = Path(__file__).resolve().parents[3] / "runtime" / "python"

if str(RUNTIME_PYTHON_DIR) not in sys.path:
    sys.path.insert(0, str(RUNTIME_PYTHON_DIR))
