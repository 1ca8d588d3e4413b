"""The benchmark's handlers: as little work as a handler can do."""

import os
import time

MESSAGE = {"message": "hello world"}
# How long `count` waits for the gate to open, at most (below the function's Timeout).
GATE_WAIT_SECONDS = 25.0


def hello(event, context):
    """Answer GET /hello; with payload format 2.0 API Gateway makes this a 200 JSON response."""
    return MESSAGE


def count(event, context):
    """Append one line per async event to COUNT_FILE, so the bench can watch the queue drain.

    Until GATE_FILE exists (bounded wait), hold the event: the queue then fills up behind the
    held ones, and the bench measures a drain of a full queue."""
    gate = os.environ.get("GATE_FILE")
    deadline = time.monotonic() + GATE_WAIT_SECONDS
    while gate and not os.path.exists(gate) and time.monotonic() < deadline:
        time.sleep(0.01)
    path = os.environ.get("COUNT_FILE")
    if path:
        with open(path, "a") as out:
            out.write("1\n")
    return None
