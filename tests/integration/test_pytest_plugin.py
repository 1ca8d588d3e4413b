"""The pytest plugin, exercised the way a user's project uses it (pytester runs a real session)."""

from __future__ import annotations

import shutil
import sys

import pytest

from tests.support import FIXTURES

USER_TEST = """
import json


def test_invoke_through_boto3(lambdock):
    lam = lambdock.client("lambda")
    response = lam.invoke(FunctionName="Hello", Payload=json.dumps({"n": 1}))
    assert json.loads(response["Payload"].read())["event"] == {"n": 1}


def test_invoke_helper_and_logs(lambdock):
    result = lambdock.invoke("Fail", {"why": "plugin"})
    assert result.function_error == "Unhandled"
    assert "failed on purpose: plugin" in result.payload.decode()
    assert "REPORT RequestId: " + result.request_id in lambdock.logs("Fail")


def test_same_stack_for_the_whole_session(lambdock):
    assert lambdock.base_url.startswith("http://127.0.0.1:")
"""


def test_plugin_serves_the_project_template_to_user_tests(pytester: pytest.Pytester) -> None:
    shutil.copytree(FIXTURES / "projects" / "basic", pytester.path, dirs_exist_ok=True)
    pytester.makepyfile(test_user=USER_TEST)
    result = pytester.runpytest_subprocess(
        "--lambdock-backend", "process", "-p", "no:cacheprovider", "-q", timeout=300
    )
    result.assert_outcomes(passed=3)


def test_a_bad_template_fails_the_test_with_a_clear_message(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", template="Resources: [not, a, mapping]\n")
    pytester.makepyfile(test_user="def test_it(lambdock):\n    pass\n")
    result = pytester.runpytest_subprocess("--lambdock-backend", "process", "-q", timeout=120)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*lambdock cannot serve*template has no Resources*"])


def test_marker_picks_another_template(pytester: pytest.Pytester) -> None:
    shutil.copytree(FIXTURES / "projects" / "basic", pytester.path / "other", dirs_exist_ok=True)
    pytester.makepyfile(
        test_user="""
import pytest

pytestmark = pytest.mark.lambdock(template="other/template.yaml")


def test_other(lambdock):
    assert lambdock.invoke("Hello", {}).ok
"""
    )
    result = pytester.runpytest_subprocess("--lambdock-backend", "process", "-q", timeout=300)
    result.assert_outcomes(passed=1)
    assert sys.executable


PROJECT_TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.hello
      CodeUri: src
      Events:
        Get:
          Type: HttpApi
          Properties: {Path: /hello, Method: get}
        Nightly:
          Type: Schedule
          Properties: {Schedule: rate(1 day)}
"""

PROJECT_HANDLER = """\
import json
import os


def hello(event, context):
    records = os.path.join(os.environ["LAMBDA_TASK_ROOT"], "..", "records")
    with open(os.path.join(records, context.aws_request_id), "w") as out:
        json.dump(event, out)
    return {"statusCode": 200, "body": json.dumps({"ok": True})}
"""

PROJECT_TESTS = """
import json
import os
from pathlib import Path


def test_http_reaches_the_route(lambdock):
    with lambdock.http() as api:
        response = api.get("/hello")
    assert response.status_code == 200
    assert response.headers["apigw-requestid"]


def test_sample_events_are_aws_shaped(lambdock):
    result = lambdock.invoke_event("Hello", "s3-put", bucket="in", key="a b.csv")
    recorded = json.loads(Path("records", result.request_id).read_text())
    record = recorded["Records"][0]
    assert record["eventSource"] == "aws:s3"
    assert record["s3"]["object"]["key"] == "a+b.csv"


def test_schedules_fire_by_hand(lambdock):
    request_id = lambdock.fire_schedule("Hello.Nightly")
    lambdock.wait_until_queue_drained()
    recorded = json.loads(Path("records", request_id).read_text())
    assert recorded["detail-type"] == "Scheduled Event"
"""


def _project(pytester: pytest.Pytester) -> None:
    (pytester.path / "src").mkdir()
    (pytester.path / "src" / "app.py").write_text(PROJECT_HANDLER)
    (pytester.path / "template.yaml").write_text(PROJECT_TEMPLATE)
    (pytester.path / "records").mkdir()
    pytester.makepyfile(test_project=PROJECT_TESTS)


def test_http_sample_events_and_schedules_helpers(pytester: pytest.Pytester) -> None:
    _project(pytester)
    result = pytester.runpytest_subprocess("--lambdock-backend", "process", "-q", timeout=300)
    result.assert_outcomes(passed=3)


def test_each_xdist_worker_gets_its_own_stack(pytester: pytest.Pytester) -> None:
    _project(pytester)
    result = pytester.runpytest_subprocess(
        "--lambdock-backend", "process", "-q", "-n", "2", "-p", "xdist", timeout=300
    )
    result.assert_outcomes(passed=3)


def test_docker_backend_without_an_engine_fails_saying_what_is_missing(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        result = pytester.runpytest_subprocess(
            "--lambdock-backend", "docker", "-q", "-k", "http", timeout=120
        )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*lambdock could not start*Docker*"])
