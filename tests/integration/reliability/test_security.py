"""Security through a real `lambdock up --backend process`: where it listens, signed Invoke
API calls (`--require-sigv4`), secrets kept out of what lambdock shows, and environments that
cannot answer for each other.

Sources: AWS Lambda API reference, "Invoke" and common errors (403 InvalidSignatureException,
UnrecognizedClientException, MissingAuthenticationTokenException); CloudFormation user guide,
"Parameters" (NoEcho values shown as ****); Lambda developer guide, "Using the Lambda runtime
API" (400 for a request id the environment is not serving).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config

from tests.integration.reliability import procfs
from tests.integration.reliability.conftest import Served, copy_project, up_args
from tests.support import lambdock_up

PASSWORD = "default-password-1"
API_KEY = "env-vars-api-key-42"


def lambda_client(base_url: str, key: str = "lambdock", secret: str = "lambdock-secret") -> Any:
    return boto3.client(
        "lambda",
        endpoint_url=base_url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 0}, read_timeout=60),
    )


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("secure")
    project = copy_project(root, "secure")
    args = up_args("--require-sigv4", "--env-vars", str(project / "env-vars.json"))
    try:
        with lambdock_up(project / "template.yaml", root / "lambdock.log", args) as running:
            yield Served(running, project, lambda_client(running.base_url))
    finally:
        procfs.kill_environment_processes(project)


def listening_addresses(pid: int) -> set[str]:
    """host:port of every TCP socket `pid` listens on (from /proc/net/tcp and tcp6)."""
    inodes = set()
    for fd in (Path("/proc") / str(pid) / "fd").iterdir():
        target = str(fd.readlink()) if fd.is_symlink() else ""
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table in ("tcp", "tcp6"):
        for line in (Path("/proc") / str(pid) / "net" / table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                address, port = fields[1].split(":")
                found.add(f"{_host(address)}:{int(port, 16)}")
    return found


def _host(hex_address: str) -> str:
    if len(hex_address) == 8:
        return ".".join(str(b) for b in reversed(bytes.fromhex(hex_address)))
    return "ipv6:" + hex_address


def test_lambdock_and_every_runtime_api_listen_on_loopback_only(secure: Served) -> None:
    secure.lam.invoke(FunctionName="Hello", Payload=b"{}")
    addresses = listening_addresses(secure.pid)
    assert len(addresses) >= 2  # the API, and Hello's environment's Runtime API
    assert {address.split(":")[0] for address in addresses} == {"127.0.0.1"}


def test_binding_beyond_loopback_needs_host_and_warns(tmp_path: Path) -> None:
    project = copy_project(tmp_path, "secure")
    log = tmp_path / "lambdock.log"
    with lambdock_up(project / "template.yaml", log, up_args("--host", "0.0.0.0")) as running:
        assert httpx.get(f"{running.base_url}/_lambdock/health", timeout=10).status_code == 200
        assert {a.split(":")[0] for a in listening_addresses(running.process.pid)} == {"0.0.0.0"}
    assert (
        "lambdock: warning: serving on 0.0.0.0, reachable from other machines; handlers run "
        "your code" in running.output()
    )


def test_a_call_signed_with_lambdocks_credentials_is_served(secure: Served) -> None:
    response = secure.lam.invoke(FunctionName="Hello", Payload=json.dumps({"name": "signed"}))
    assert json.loads(response["Payload"].read()) == {"hello": "signed"}
    names = {f["FunctionName"] for f in secure.lam.list_functions()["Functions"]}
    assert names == {"Hello", "Leaky", "Caller", "Parked"}


def test_a_function_calls_the_signed_api_with_the_credentials_it_was_given(
    secure: Served,
) -> None:
    response = secure.lam.invoke(FunctionName="Caller", Payload=b"{}")
    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == {"hello": "from caller"}


def test_a_wrong_secret_is_invalid_signature(secure: Served) -> None:
    wrong = lambda_client(secure.lambdock.base_url, secret="not-the-secret")
    with pytest.raises(wrong.exceptions.ClientError) as refused:
        wrong.invoke(FunctionName="Hello", Payload=b"{}")
    error = refused.value.response
    assert error["Error"]["Code"] == "InvalidSignatureException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error["Error"]["Message"].startswith("The request signature we calculated")


def test_an_unknown_access_key_is_unrecognized_client(secure: Served) -> None:
    stranger = lambda_client(secure.lambdock.base_url, key="AKIAIOSFODNN7EXAMPLE")
    with pytest.raises(stranger.exceptions.ClientError) as refused:
        stranger.get_function(FunctionName="Hello")
    error = refused.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
        "UnrecognizedClientException",
        403,
    )
    assert error["Error"]["Message"] == "The security token included in the request is invalid."


def test_an_unsigned_call_is_missing_authentication_token(secure: Served) -> None:
    url = f"{secure.lambdock.base_url}/2015-03-31/functions/Hello/invocations"
    response = httpx.post(url, json={}, timeout=10)
    assert response.status_code == 403
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert response.json()["message"] == "Missing Authentication Token"
    # lambdock's own endpoints are not part of the Lambda API and stay open.
    health = httpx.get(f"{secure.lambdock.base_url}/_lambdock/health", timeout=10)
    assert health.status_code == 200


def test_secrets_reach_the_function_but_not_what_lambdock_shows(secure: Served) -> None:
    response = secure.lam.invoke(FunctionName="Leaky", Payload=b"{}", LogType="Tail")
    assert json.loads(response["Payload"].read()) == {
        "DB_PASSWORD": PASSWORD,
        "DSN": f"postgres://app:{PASSWORD}@db.internal/app",
        "API_KEY": API_KEY,
        "STAGE": "dev",
    }
    tail = base64.b64decode(response["LogResult"]).decode()
    assert "connecting with postgres://app:****@db.internal/app key ****" in tail
    shown = {
        "DB_PASSWORD": "****",
        "DSN": "****",
        "API_KEY": "****",
        "STAGE": "dev",
    }
    configuration = secure.lam.get_function(FunctionName="Leaky")["Configuration"]
    assert configuration["Environment"]["Variables"] == shown
    listed = {f["FunctionName"]: f for f in secure.lam.list_functions()["Functions"]}
    assert listed["Leaky"]["Environment"]["Variables"] == shown
    request_id = response["ResponseMetadata"]["RequestId"]
    dashboard = [
        httpx.get(f"{secure.lambdock.base_url}/_lambdock/api/{path}", timeout=10).text
        for path in ("overview", "invocations", f"invocations/{request_id}")
    ]
    assert "postgres://app:****@db.internal/app" in dashboard[2]
    for text in (secure.lambdock.output(), json.dumps(listed), tail, *dashboard):
        assert PASSWORD not in text and API_KEY not in text
    assert "connecting with postgres://app:****@db.internal/app" in secure.lambdock.output()


def test_one_environment_cannot_answer_for_another(secure: Served, tmp_path: Path) -> None:
    paths = [tmp_path / "a.json", tmp_path / "b.json"]
    results: dict[str, Any] = {}

    def park(name: str, path: Path) -> None:
        payload = json.dumps({"name": name, "path": str(path), "seconds": 30})
        response = secure.lam.invoke(FunctionName="Parked", Payload=payload)
        results[name] = (response, json.loads(response["Payload"].read()))

    threads = [threading.Thread(target=park, args=(n, p)) for n, p in zip("ab", paths, strict=True)]
    for thread in threads:
        thread.start()
    try:
        procfs.wait_until(lambda: all(p.exists() and p.stat().st_size for p in paths), "both")
        a, b = (json.loads(p.read_text()) for p in paths)
        assert a["runtime_api"] != b["runtime_api"]
        for kind in ("response", "error"):
            stolen = httpx.post(
                f"http://{a['runtime_api']}/2018-06-01/runtime/invocation/{b['request_id']}/{kind}",
                json={"stolen": True},
                timeout=10,
            )
            assert stolen.status_code == 400
            assert stolen.json() == {
                "errorMessage": f"Invalid request ID: {b['request_id']}",
                "errorType": "InvalidRequestID",
            }
    finally:
        for path in paths:
            Path(f"{path}.go").write_text("")
        for thread in threads:
            thread.join(60)
    for name, served in zip("ab", (a, b), strict=True):
        response, body = results[name]
        assert "FunctionError" not in response
        assert body == {"request_id": served["request_id"], "name": name}
