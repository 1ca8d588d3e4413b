"""sample_tasks' own tests pass: `pytest` run in the project, as its README tells its users.

They use lambdock's pytest plugin (the `lambdock` fixture), so the README's testing example is
run on every CI run. They run in a copy, so the state lambdock keeps stays out of the checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.integration.samples.walkthrough import copy_sample
from tests.support import REPO

PROJECT_TESTS_TIMEOUT_SECONDS = 600


def test_the_sample_projects_own_tests_pass(tmp_path: Path) -> None:
    project = copy_sample(tmp_path / "sample_tasks").parent
    # This checkout's lambdock, whichever one the virtualenv has installed.
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:asyncio"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=PROJECT_TESTS_TIMEOUT_SECONDS,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout.splitlines()[-1]
