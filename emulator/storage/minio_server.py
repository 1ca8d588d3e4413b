"""Run a project's MinIO server: find the binary, start it on loopback, wait for it, stop it.

The server is a plain `subprocess.Popen` child rather than an asyncio subprocess: it has to
outlive any one event loop (a pytest session fixture serves tests that each run their own loop),
and nothing here reads its pipes; its output goes to a log file. Waits are asyncio sleeps.

Exceptions: MinioError
              +-- MinioBinaryNotFound   no binary; says how to get one
              +-- MinioExited           the process ended while starting; carries its log tail
              +-- MinioNotReady         not live within the time allowed; carries its log tail
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from emulator.storage.endpoint import S3Endpoint

BINARY_NAME = "minio"
BINARY_ENV = "LAMBDOCK_MINIO_BIN"
MINIO_MODULE = "github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"
HEALTH_PATH = "/minio/health/live"
LOOPBACK = "127.0.0.1"
LOG_TAIL_LINES = 20
_POLL_SECONDS = 0.1
_KILL_WAIT_SECONDS = 5.0
_PORT_ATTEMPTS = 3
_LOG_TAIL_BYTES = 64 * 1024

HOW_TO_GET_MINIO = (
    f"Build one with `go install {MINIO_MODULE}` (Go 1.24 or newer; the binary lands in "
    f"$(go env GOPATH)/bin) and put it on PATH or name it in {BINARY_ENV}, "
    "or point lambdock at a running S3 endpoint with --s3-endpoint."
)


class MinioError(Exception):
    """The MinIO server could not be provided."""


class MinioBinaryNotFound(MinioError):
    """No MinIO server binary was found."""


class MinioExited(MinioError):
    """MinIO ended while it was starting."""

    def __init__(self, message: str, log_tail: str) -> None:
        super().__init__(f"{message}\n--- last lines of the MinIO log ---\n{log_tail}")
        self.log_tail = log_tail


class MinioNotReady(MinioError):
    """MinIO did not answer its liveness check in time."""

    def __init__(self, message: str, log_tail: str) -> None:
        super().__init__(f"{message}\n--- last lines of the MinIO log ---\n{log_tail}")
        self.log_tail = log_tail


@dataclass(frozen=True)
class MinioServerConfig:
    """How to run MinIO: where its files live, its credentials, ports and time limits."""

    data_dir: Path
    binary: Path | None = None
    root_user: str = "lambdock"
    root_password: str = "lambdock-secret"
    port: int | None = None
    console_port: int | None = None
    log_path: Path | None = None
    certs_dir: Path | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    ready_timeout: float = 30.0
    stop_timeout: float = 10.0

    @property
    def log_file(self) -> Path:
        """The server's log: next to the data directory unless given."""
        return self.log_path or self.data_dir.parent / "minio.log"

    @property
    def certs_path(self) -> Path:
        """MinIO's certs directory, kept in the project so MinIO leaves ~/.minio alone."""
        return self.certs_dir or self.data_dir.parent / "minio-certs"


def default_data_dir(project_dir: Path) -> Path:
    """Where a project's MinIO keeps its objects: `<project>/.lambdock/minio`."""
    return project_dir / ".lambdock" / "minio"


def find_minio_binary(explicit: Path | None, *, environ: Mapping[str, str]) -> Path:
    """The explicit binary, else `minio` on PATH, else the one LAMBDOCK_MINIO_BIN names."""
    if explicit is not None:
        return _executable(explicit, "the configured MinIO binary")
    on_path = shutil.which(BINARY_NAME, path=environ.get("PATH", os.defpath))
    if on_path is not None:
        return Path(on_path)
    named = environ.get(BINARY_ENV)
    if named:
        return _executable(Path(named), BINARY_ENV)
    raise MinioBinaryNotFound(
        f"No MinIO server binary: none configured, no `{BINARY_NAME}` on PATH and "
        f"{BINARY_ENV} is not set. {HOW_TO_GET_MINIO}"
    )


def _executable(path: Path, what: str) -> Path:
    """`path` if it is an executable file, else MinioBinaryNotFound naming `what`."""
    if path.is_file() and os.access(path, os.X_OK):
        return path
    raise MinioBinaryNotFound(f"{what} ({path}) is not an executable file. {HOW_TO_GET_MINIO}")


def minio_environment(config: MinioServerConfig, inherited: Mapping[str, str]) -> dict[str, str]:
    """The server's environment: the caller's minus its MINIO_* settings, plus lambdock's."""
    env = {name: value for name, value in inherited.items() if not name.startswith("MINIO_")}
    env.update(
        {
            "MINIO_ROOT_USER": config.root_user,
            "MINIO_ROOT_PASSWORD": config.root_password,
            # Offline: no release check against dl.min.io at start (MINIO_UPDATE) and no
            # callhome diagnostics to SUBNET (MINIO_CALLHOME_ENABLE); both are MinIO settings.
            "MINIO_UPDATE": "off",
            "MINIO_CALLHOME_ENABLE": "off",
        }
    )
    env.update(config.extra_env)
    return env


def minio_command(binary: Path, config: MinioServerConfig, ports: tuple[int, int]) -> list[str]:
    """`minio server DATA --address 127.0.0.1:PORT --console-address 127.0.0.1:PORT2 ...`."""
    return [
        str(binary),
        "server",
        str(config.data_dir),
        "--address",
        f"{LOOPBACK}:{ports[0]}",
        "--console-address",
        f"{LOOPBACK}:{ports[1]}",
        "--certs-dir",
        str(config.certs_path),
    ]


def free_port_pair() -> tuple[int, int]:
    """Two distinct loopback ports that are free right now (the API's and the console's)."""
    with socket.socket() as first, socket.socket() as second:
        first.bind((LOOPBACK, 0))
        second.bind((LOOPBACK, 0))
        return first.getsockname()[1], second.getsockname()[1]


def read_log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last `lines` lines of a log file ("" if it does not exist)."""
    try:
        with path.open("rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - _LOG_TAIL_BYTES))
            text = log.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class MinioServer:
    """One MinIO server process; start() again after stop() reuses the same ports."""

    def __init__(
        self, config: MinioServerConfig, *, environ: Mapping[str, str] | None = None
    ) -> None:
        self._config = config
        self._environ = dict(os.environ if environ is None else environ)
        self._process: subprocess.Popen[bytes] | None = None
        self._ports: tuple[int, int] | None = None
        if config.port is not None and config.console_port is not None:
            self._ports = (config.port, config.console_port)

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self._process.pid if self.running and self._process else None

    @property
    def running(self) -> bool:
        """Whether the process this object started is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def endpoint(self) -> S3Endpoint:
        """The S3 endpoint of the server (known once it has started)."""
        if self._ports is None:
            raise MinioError("MinIO has not been started")
        return S3Endpoint(
            url=f"http://{LOOPBACK}:{self._ports[0]}",
            access_key=self._config.root_user,
            secret_key=self._config.root_password,
        )

    @property
    def console_url(self) -> str | None:
        """MinIO's web console, once started."""
        return f"http://{LOOPBACK}:{self._ports[1]}" if self._ports else None

    async def start(self) -> S3Endpoint:
        """Start MinIO and wait until it is live; returns its endpoint."""
        if self.running:
            return self.endpoint
        binary = find_minio_binary(self._config.binary, environ=self._environ)
        for directory in (self._config.data_dir, self._config.certs_path):
            directory.mkdir(parents=True, exist_ok=True)
        self._config.log_file.parent.mkdir(parents=True, exist_ok=True)
        fixed_ports = self._ports
        for attempt in range(1, _PORT_ATTEMPTS + 1):
            ports = fixed_ports or free_port_pair()
            try:
                await self._start_on(binary, ports)
            except MinioExited as error:
                # A free port can be taken between choosing it and MinIO binding it.
                retry = fixed_ports is None and "address already in use" in error.log_tail
                if not retry or attempt == _PORT_ATTEMPTS:
                    raise
                continue
            self._ports = ports
            break
        return self.endpoint

    async def _start_on(self, binary: Path, ports: tuple[int, int]) -> None:
        """Spawn MinIO on `ports` and wait for its liveness check."""
        self._process = await asyncio.to_thread(self._spawn, binary, ports)
        await self._wait_live(self._process, ports[0])

    def _spawn(self, binary: Path, ports: tuple[int, int]) -> subprocess.Popen[bytes]:
        """Start the process, its output appended to the log file."""
        with self._config.log_file.open("ab") as log:
            return subprocess.Popen(
                minio_command(binary, self._config, ports),
                env=minio_environment(self._config, self._environ),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own session: a Ctrl-C meant for lambdock does not reach MinIO first,
                # and lambdock stops it in order.
                start_new_session=True,
            )

    async def _wait_live(self, process: subprocess.Popen[bytes], port: int) -> None:
        """Poll `/minio/health/live` until it answers 200, the process ends, or time is up."""
        url = f"http://{LOOPBACK}:{port}{HEALTH_PATH}"
        try:
            async with asyncio.timeout(self._config.ready_timeout):
                await self._poll_live(process, url)
        except TimeoutError:
            await self.stop()
            raise MinioNotReady(
                f"MinIO was not live at {url} within {self._config.ready_timeout:g} s",
                read_log_tail(self._config.log_file),
            ) from None

    async def _poll_live(self, process: subprocess.Popen[bytes], url: str) -> None:
        """Return once MinIO is live; raise MinioExited if the process ends first."""
        async with httpx.AsyncClient(timeout=1.0) as http:
            while not await _is_live(http, url):
                if process.poll() is not None:
                    self._process = None
                    tail = read_log_tail(self._config.log_file)
                    raise MinioExited(f"MinIO exited with code {process.returncode}", tail)
                await asyncio.sleep(_POLL_SECONDS)

    async def stop(self) -> None:
        """Terminate MinIO, then kill it if it has not exited within the stop timeout."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        if await _wait_exit(process, self._config.stop_timeout):
            return
        process.kill()
        await _wait_exit(process, _KILL_WAIT_SECONDS)

    async def __aenter__(self) -> MinioServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


async def _is_live(http: httpx.AsyncClient, url: str) -> bool:
    """Whether MinIO's liveness endpoint answers 200."""
    try:
        response = await http.get(url)
    except httpx.TransportError:
        return False
    return response.status_code == httpx.codes.OK


async def _wait_exit(process: subprocess.Popen[bytes], seconds: float) -> bool:
    """Wait up to `seconds` for the process to exit (reaping it); True if it did."""
    try:
        await asyncio.to_thread(process.wait, seconds)
    except subprocess.TimeoutExpired:
        return False
    return True
