"""Functions reach only the buckets their SAM Policies grant, through a real `lambdock up` with
its MinIO: a handler writing to a bucket it was not granted gets AccessDenied, as on AWS;
`--no-iam` gives every function lambdock's own full access instead."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.conftest import lambda_client
from tests.integration.reliability import procfs
from tests.integration.reliability.conftest import copy_project, up_args
from tests.support import lambdock_up


@pytest.mark.parametrize(
    ("extra", "other"),
    [((), {"bucket": "OTHER", "error": "AccessDenied"}), (("--no-iam",), None)],
    ids=["policies", "no-iam"],
)
def test_a_handler_writes_only_where_its_policies_let_it(
    tmp_path: Path, extra: tuple[str, ...], other: dict[str, object] | None
) -> None:
    project = copy_project(tmp_path, "iam")
    try:
        with lambdock_up(project / "template.yaml", tmp_path / "log", up_args(*extra)) as up:
            lam = lambda_client(up.base_url)

            def write(bucket: str) -> object:
                response = lam.invoke(FunctionName="Writer", Payload=json.dumps({"bucket": bucket}))
                assert "FunctionError" not in response
                return json.loads(response["Payload"].read())

            assert write("GRANTED") == {"bucket": "GRANTED", "written": True}
            assert write("OTHER") == (other or {"bucket": "OTHER", "written": True})
    finally:
        procfs.kill_environment_processes(project)
