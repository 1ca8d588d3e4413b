"""The REPORT line's Max Memory Used, with the process backend, is the runtime's peak resident
memory (VmHWM), read afresh for every invocation (AWS Lambda developer guide, "Lambda function
logging": the REPORT line)."""

from __future__ import annotations

import base64
import json
import re
from typing import Any


def _max_memory_used(lam: Any) -> int:
    response = lam.invoke(FunctionName="Hello", Payload=json.dumps({}), LogType="Tail")
    log = base64.b64decode(response["LogResult"]).decode()
    found = re.search(r"\tMax Memory Used: (\d+) MB\t", log)
    assert found is not None, log
    return int(found[1])


def test_max_memory_used_is_the_runtimes_peak_and_never_falls(lam: Any) -> None:
    first = _max_memory_used(lam)
    second = _max_memory_used(lam)
    # A Python runtime process holds several MB; a peak cannot shrink between invocations.
    assert first >= 5
    assert second >= first
