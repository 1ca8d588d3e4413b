"""The pytest plugin with a template that has buckets: a MinIO per session, `client("s3")`, and
waiting for an object (pytester runs a real session, as a user's project does)."""

from __future__ import annotations

import shutil

import pytest

from tests.support import FIXTURES, REPO

USER_TEST = """
def test_an_upload_is_stamped_by_the_s3_triggered_function(lambdock):
    s3 = lambdock.client("s3")
    incoming = lambdock.bucket_name("Incoming")
    s3.put_object(Bucket=incoming, Key="stamp/note.txt", Body=b"hello")
    results = lambdock.bucket_name("Results")
    stamped = lambdock.wait_for_object(results, "stamped/stamp/note.txt")
    assert stamped == b"hello (stamped by Stamp)"


def test_the_buckets_are_listed_by_the_s3_client(lambdock):
    names = {b["Name"] for b in lambdock.client("s3").list_buckets()["Buckets"]}
    assert lambdock.bucket_name("Results") in names


def test_waiting_for_an_object_that_never_comes_gives_up(lambdock):
    import pytest

    with pytest.raises(TimeoutError, match="s3://.*/never"):
        lambdock.wait_for_object(lambdock.bucket_name("Results"), "never", timeout=0.5)
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    shutil.copytree(FIXTURES / "projects" / "s3", pytester.path, dirs_exist_ok=True)
    # The session's `emulator` is this checkout, not an installed copy.
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    return pytester


def test_the_plugin_runs_minio_for_a_template_with_buckets(project: pytest.Pytester) -> None:
    project.makepyfile(test_user=USER_TEST)
    result = project.runpytest_subprocess(
        "--lambdock-backend", "process", "-p", "no:cacheprovider", "-q", timeout=300
    )
    result.assert_outcomes(passed=3)


def test_without_a_minio_binary_the_fixture_fails_saying_how_to_get_one(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LAMBDOCK_MINIO_BIN", raising=False)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    project.makepyfile(test_user="def test_it(lambdock):\n    pass\n")
    result = project.runpytest_subprocess("--lambdock-backend", "process", "-q", timeout=120)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*lambdock could not start: the template needs S3 storage*go install github.com/minio*"]
    )
