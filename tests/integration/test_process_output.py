"""Output of a process-backend environment: every line the handler printed before it returned
belongs to that invocation's log, however much it printed (CloudWatch shows a function's
output between its invocation's START and END lines)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from emulator.backends.process import ProcessBackend
from emulator.clock import SystemClock, new_request_id
from emulator.invoker import InvocationRequest
from emulator.services import build_services
from emulator.settings import Settings
from emulator.template import load_template

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Chatty:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.chatty
      Runtime: python3.12
      CodeUri: src
"""

HANDLER = """\
def chatty(event, context):
    for n in range(event["lines"]):
        print(f"line {n} " + "x" * 1000)
    return {"printed": event["lines"]}
"""


async def test_every_line_printed_before_the_answer_is_in_that_invocations_log(
    tmp_path: Path,
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(HANDLER)
    (tmp_path / "template.yaml").write_text(textwrap.dedent(TEMPLATE))
    settings = Settings(template=tmp_path / "template.yaml", echo_logs=False)
    template = load_template(tmp_path / "template.yaml")
    backend = ProcessBackend(python=sys.executable)
    services = build_services(
        settings, template, backend, clock=SystemClock(), request_ids=new_request_id
    )
    try:
        # About 200 KB, three times what a pipe holds (the runtime blocks while printing), and
        # less than the 256 KB an invocation's log keeps.
        results = [
            await services.invoker.invoke(InvocationRequest("Chatty", b'{"lines": 200}'))
            for _ in range(2)
        ]
    finally:
        await services.pool.close()
    for result in results:
        printed = [line for line in result.log.lines if line.startswith("line ")]
        assert result.ok
        assert len(printed) == 200
        assert printed[-1] == "line 199 " + "x" * 1000
