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
