"""The lambdock pytest plugin: a session-wide lambdock for a SAM project, and ready clients.

    def test_task_flow(lambdock):
        api = lambdock.http()            # httpx client on the API's base URL
        lam = lambdock.client("lambda")  # boto3 client with endpoint and credentials set
        s3 = lambdock.client("s3")       # the template's buckets on MinIO
        s3.put_object(Bucket=lambdock.bucket_name("Input"), Key="in.csv", Body=b"...")
        lambdock.wait_for_object(lambdock.bucket_name("Output"), "out.csv")

A template with buckets or S3 events gets a MinIO of its own for the session, with a fresh data
folder (the binary: `--lambdock-minio-bin`, else `minio` on PATH, else $LAMBDOCK_MINIO_BIN), or
uses `--lambdock-s3-endpoint` with `--lambdock-s3-access-key` and `--lambdock-s3-secret-key`.

Configure with ini options or flags (`--lambdock-template`, `--lambdock-backend`, the S3 ones
above), or per module with `@pytest.mark.lambdock(template="other.yaml")`.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator.commands.sample_events import SOURCES, SampleOptions, Stamp
from emulator.embedded import EmbeddedLambdock
from emulator.errors import LambdockError, TemplateError
from emulator.invoker import InvocationRequest, InvocationResult
from emulator.settings import Settings

DEFAULT_WAIT_SECONDS = 30.0


def pytest_addoption(parser: pytest.Parser) -> None:
    """Flags and ini options of the plugin."""
    group = parser.getgroup("lambdock")
    options = {
        "template": ("path of the SAM template (default ./template.yaml)", "template.yaml"),
        "backend": ("auto, process or docker", "auto"),
        "s3-endpoint": ("an S3 endpoint to use instead of a managed MinIO", None),
        "s3-access-key": ("the access key of --lambdock-s3-endpoint", None),
        "s3-secret-key": ("the secret key of --lambdock-s3-endpoint", None),
        "minio-bin": ("the MinIO server binary for templates with buckets", None),
    }
    for name, (help_text, default) in options.items():
        group.addoption(f"--lambdock-{name}", default=None, help=help_text)
        parser.addini(f"lambdock_{name.replace('-', '_')}", help_text, default=default)


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker that picks another template for a module."""
    config.addinivalue_line("markers", "lambdock(template=PATH): serve another SAM template")


def _option(config: pytest.Config, name: str) -> Any:
    value = config.getoption(f"--lambdock-{name}")
    return value if value is not None else config.getini(f"lambdock_{name.replace('-', '_')}")


class LambdockSession:
    """A running lambdock and the helpers tests of serverless projects need."""

    def __init__(self, server: EmbeddedLambdock) -> None:
        self.server = server
        self.base_url = server.base_url

    @property
    def services(self) -> Any:
        """lambdock's services (template, invoker, queue, logs), for advanced checks."""
        return self.server.services

    def http(self, **kwargs: Any) -> httpx.Client:
        """An httpx client on the API's base URL."""
        return httpx.Client(base_url=self.base_url, timeout=kwargs.pop("timeout", 60.0), **kwargs)

    def client(self, service: str, **kwargs: Any) -> Any:
        """A boto3 client for `service` pointed at lambdock (lambda) or its S3 endpoint (s3)."""
        import boto3
        from botocore.config import Config

        services = self.server.services
        assert services is not None
        endpoints = services.endpoints_for_clients()
        if service not in endpoints:
            raise LambdockError(f"lambdock serves no {service!r} endpoint here")
        credentials = services.client_credentials()
        return boto3.client(
            service,
            endpoint_url=endpoints[service],
            region_name=self.server.settings.region,
            config=kwargs.pop("config", Config(retries={"max_attempts": 0}, read_timeout=120)),
            **credentials,
            **kwargs,
        )

    def invoke(self, function: str, event: Any = None) -> InvocationResult:
        """Invoke a function synchronously with an event (a dict, or a JSON file path)."""
        if isinstance(event, (str, Path)) and Path(event).exists():
            event = json.loads(Path(event).read_text())
        payload = json.dumps(event if event is not None else {}).encode()
        services = self.server.services
        assert services is not None
        request = InvocationRequest(function, payload)
        result: InvocationResult = self.server.call(lambda: services.invoker.invoke(request))
        return result

    def sample_event(self, source: str, **options: Any) -> dict[str, Any]:
        """An AWS-shaped sample event (`apigw-v1`, `apigw-v2`, `s3-put`, `s3-delete`,
        `schedule`), as `lambdock generate-event` prints it; options as SampleOptions fields."""
        if source not in SOURCES:
            raise LambdockError(f"no sample event {source!r}; one of {', '.join(sorted(SOURCES))}")
        stamp = Stamp(int(time.time() * 1000), str(uuid.uuid4()), uuid.uuid4().hex)
        region = self.server.settings.region
        return SOURCES[source](stamp, SampleOptions(region=region, **options))

    def invoke_event(self, function: str, source: str, **options: Any) -> InvocationResult:
        """Invoke a function with a sample event of `source` (see `sample_event`)."""
        return self.invoke(function, self.sample_event(source, **options))

    def fire_schedule(self, name: str) -> str:
        """Fire a schedule now (by rule name, ARN or `<function>.<event>`); its request id."""
        services = self.server.services
        assert services is not None
        rule = services.scheduler.find(name)
        if rule is None:
            raise LambdockError(f"no schedule {name!r} in the template")
        firing = self.server.call(lambda: services.scheduler.fire(rule))
        request_id: str = firing.request_id
        return request_id

    def logs(self, function: str) -> str:
        """The log (START..REPORT) of the function's last finished invocation."""
        services = self.server.services
        assert services is not None
        name = services.invoker.function(function).function_name
        recent = services.logs.recent(name, 1)
        return recent[-1].text() if recent else ""

    def bucket_name(self, logical_id: str) -> str:
        """The name of the template's bucket `logical_id` (what `!Ref` gives)."""
        services = self.server.services
        assert services is not None
        bucket = services.template().buckets.get(logical_id)
        if bucket is None:
            raise LambdockError(f"the template has no AWS::S3::Bucket {logical_id!r}")
        name: str = bucket.bucket_name
        return name

    def wait_for_object(
        self, bucket: str, key: str, timeout: float = DEFAULT_WAIT_SECONDS
    ) -> bytes:
        """Wait until object `key` exists in `bucket` and return its content; TimeoutError after
        `timeout` seconds."""
        s3 = self.client("s3")

        def content() -> tuple[bytes] | None:
            try:
                body: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            except s3.exceptions.NoSuchKey:
                return None
            return (body,)  # a tuple, so that an empty object counts as found

        found: tuple[bytes] = _wait(content, timeout, f"s3://{bucket}/{key}")
        return found[0]

    def wait_until_queue_drained(self, timeout: float = DEFAULT_WAIT_SECONDS) -> None:
        """Wait until no asynchronous event is waiting or running."""
        services = self.server.services
        assert services is not None
        _wait(lambda: services.queue.pending() == 0, timeout, "the async queue to drain")


def _wait(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what} after {timeout:.0f} s")
        time.sleep(0.05)


def _settings(config: pytest.Config, template: Path, state_dir: Path) -> Settings:
    return Settings(
        template=template,
        port=0,
        backend=_option(config, "backend"),
        s3_endpoint=_option(config, "s3-endpoint"),
        s3_access_key=_option(config, "s3-access-key"),
        s3_secret_key=_option(config, "s3-secret-key"),
        minio_bin=_option(config, "minio-bin"),
        state_dir=state_dir,
        echo_logs=False,
        retry_delay_scale=0.01,
        idle_timeout=float(os.environ.get("LAMBDOCK_IDLE_TIMEOUT", "300")),
        pull_images=os.environ.get("LAMBDOCK_NO_PULL") != "1",
    )


@pytest.fixture(scope="session")
def _lambdock_sessions(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[Path, LambdockSession]]:
    sessions: dict[Path, LambdockSession] = {}
    try:
        yield sessions
    finally:
        for session in sessions.values():
            session.server.stop()


@pytest.fixture
def lambdock(
    request: pytest.FixtureRequest,
    pytestconfig: pytest.Config,
    tmp_path_factory: pytest.TempPathFactory,
    _lambdock_sessions: dict[Path, LambdockSession],
) -> LambdockSession:
    """A lambdock serving the project's template, started once per session and template."""
    marker = request.node.get_closest_marker("lambdock")
    chosen = marker.kwargs.get("template") if marker else None
    template = Path(chosen or _option(pytestconfig, "template"))
    if not template.is_absolute():
        template = (pytestconfig.rootpath / template).resolve()
    if template not in _lambdock_sessions:
        state = tmp_path_factory.mktemp("lambdock-state")
        try:
            server = EmbeddedLambdock(_settings(pytestconfig, template, state)).start()
        except TemplateError as exc:
            pytest.fail(f"lambdock cannot serve {template}: {exc}", pytrace=False)
        except LambdockError as exc:
            pytest.fail(f"lambdock could not start: {exc}", pytrace=False)
        _lambdock_sessions[template] = LambdockSession(server)
    return _lambdock_sessions[template]
