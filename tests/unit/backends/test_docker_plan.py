"""The container an environment becomes: mounts, variables, limits, labels, command, network.

Limits follow the Lambda docs: "Lambda quotas" (1,024 processes/threads and file descriptors,
512 MB of /tmp by default), "Configure Lambda function memory" (CPU in proportion to memory,
one vCPU at 1,769 MB), "Defined runtime environment variables", and the AWS base images'
entry point `/lambda-entrypoint.sh <handler>` (gallery.ecr.aws/lambda).
"""

from __future__ import annotations

from pathlib import Path

from emulator.backends.base import EnvironmentSpec
from emulator.backends.container_plan import (
    ImageFacts,
    NetworkPlan,
    Owner,
    can_redirect_output,
    container_endpoints,
    cpu_shares,
    default_image,
    image_for,
    network_plan,
    plan_container,
    rewrite_loopback,
)
from emulator.template.models import FunctionConfig

OWNER = Owner("inst-1", "devbox", 4242, 777)
HOST = NetworkPlan(mode="host")
BRIDGE = NetworkPlan(
    mode="bridge", network="bridge", runtime_host="host.docker.internal", bind_host="172.17.0.1"
)
PLAIN_PYTHON = ImageFacts("lambdock-test/python:3.11", command=("python3",))
AWS_PYTHON = ImageFacts(
    "public.ecr.aws/lambda/python:3.12", entrypoint=("/lambda-entrypoint.sh",), command=("x.y",)
)
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t"}


def function(**overrides: object) -> FunctionConfig:
    values: dict[str, object] = {
        "logical_id": "Hello",
        "function_name": "hello",
        "handler": "app.handler",
        "runtime": "python3.12",
        "code_uri": Path("/src/hello"),
        "environment": {"STAGE": "dev"},
    }
    values.update(overrides)
    return FunctionConfig(**values)  # type: ignore[arg-type]


def spec(config: FunctionConfig, endpoints: dict[str, str] | None = None) -> EnvironmentSpec:
    return EnvironmentSpec(
        environment_id="0123456789abcdef0123456789abcdef",
        function=config,
        runtime_api_port=40123,
        log_stream_name="2024/05/01/[$LATEST]0123456789abcdef0123456789abcdef",
        region="eu-west-1",
        credentials=CREDENTIALS,
        endpoints=endpoints or {},
    )


def test_python_on_a_plain_image_runs_the_bundled_client_from_a_read_only_mount() -> None:
    plan = plan_container(
        spec(function()), PLAIN_PYTHON, HOST, OWNER, runtime_source=Path("/repo/runtime/python")
    )
    assert plan.entrypoint == ("python3", "-m", "lambdock_runtime")
    assert plan.command == ()
    assert plan.working_dir == "/var/task"
    assert plan.binds == {
        "/src/hello": {"bind": "/var/task", "mode": "ro"},
        "/repo/runtime/python": {"bind": "/opt/lambdock/runtime", "mode": "ro"},
    }


def test_the_environment_has_lambdas_variables_and_the_bundled_clients_path() -> None:
    plan = plan_container(
        spec(function()), PLAIN_PYTHON, HOST, OWNER, runtime_source=Path("/repo/runtime/python")
    )
    assert plan.environment == {
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "STAGE": "dev",
        "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:40123",
        "_HANDLER": "app.handler",
        "LAMBDA_TASK_ROOT": "/var/task",
        "LAMBDA_RUNTIME_DIR": "/opt/lambdock/runtime",
        "AWS_LAMBDA_FUNCTION_NAME": "hello",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/hello",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2024/05/01/[$LATEST]0123456789abcdef0123456789abcdef",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "k",
        "AWS_SECRET_ACCESS_KEY": "s",
        "AWS_SESSION_TOKEN": "t",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "PYTHONPATH": "/opt/lambdock/runtime",
        "PYTHONUNBUFFERED": "1",
    }


def test_nodejs_on_a_plain_image_runs_the_bundled_client_with_node() -> None:
    config = function(runtime="nodejs20.x", handler="index.handler")
    node = ImageFacts("lambdock-test/nodejs:18", command=("node",))
    plan = plan_container(
        spec(config), node, HOST, OWNER, runtime_source=Path("/repo/runtime/nodejs")
    )
    assert plan.entrypoint == ("node", "/opt/lambdock/runtime/index.mjs")
    assert plan.binds["/repo/runtime/nodejs"] == {"bind": "/opt/lambdock/runtime", "mode": "ro"}
    assert "PYTHONPATH" not in plan.environment


# Lambda puts a layer's libraries in /opt/python and /opt/nodejs/node_modules, which its
# runtimes search (AWS docs: "Packaging your layer content"); installed dependencies go there.
def test_installed_python_dependencies_are_mounted_read_only_where_layers_go() -> None:
    deps = Path("/state/deps/hello-0123456789abcdef-py3.11-x86_64")
    plan = plan_container(
        spec(function()),
        PLAIN_PYTHON,
        HOST,
        OWNER,
        runtime_source=Path("/repo/runtime/python"),
        dependencies=deps,
    )
    assert plan.binds == {
        "/src/hello": {"bind": "/var/task", "mode": "ro"},
        "/repo/runtime/python": {"bind": "/opt/lambdock/runtime", "mode": "ro"},
        str(deps): {"bind": "/opt/python", "mode": "ro"},
    }
    assert plan.environment["PYTHONPATH"] == "/opt/lambdock/runtime"
    assert "NODE_PATH" not in plan.environment


def test_installed_node_modules_are_mounted_read_only_and_put_on_node_path() -> None:
    config = function(runtime="nodejs20.x", handler="index.handler")
    node = ImageFacts("lambdock-test/nodejs:18", command=("node",))
    deps = Path("/state/deps/hello-0123456789abcdef/node_modules")
    plan = plan_container(spec(config), node, HOST, OWNER, runtime_source=None, dependencies=deps)
    assert plan.binds == {
        "/src/hello": {"bind": "/var/task", "mode": "ro"},
        str(deps): {"bind": "/opt/nodejs/node_modules", "mode": "ro"},
    }
    assert plan.environment["NODE_PATH"] == "/opt/nodejs/node_modules"


def test_an_aws_base_image_gets_the_handler_as_its_command_and_its_own_client() -> None:
    plan = plan_container(spec(function()), AWS_PYTHON, HOST, OWNER, runtime_source=None)
    assert (plan.entrypoint, plan.command) == (None, ("app.handler",))
    assert plan.binds == {"/src/hello": {"bind": "/var/task", "mode": "ro"}}
    assert plan.environment["LAMBDA_RUNTIME_DIR"] == "/var/runtime"
    assert "PYTHONPATH" not in plan.environment


def test_a_custom_runtime_runs_the_functions_own_bootstrap() -> None:
    config = function(runtime="provided.al2023", handler="bootstrap")
    facts = ImageFacts(
        "public.ecr.aws/lambda/provided:al2023", entrypoint=("/lambda-entrypoint.sh",)
    )
    plan = plan_container(spec(config), facts, HOST, OWNER, runtime_source=None)
    assert (plan.entrypoint, plan.command) == (("/var/task/bootstrap",), None)
    assert plan.working_dir == "/var/task"


def test_an_image_function_keeps_the_images_entrypoint_and_command() -> None:
    config = function(package_type="Image", runtime=None, handler=None, code_uri=None)
    facts = ImageFacts("my-fn:latest", entrypoint=("/lambda-entrypoint.sh",), command=("app.h",))
    plan = plan_container(spec(config), facts, HOST, OWNER, runtime_source=None)
    assert (plan.entrypoint, plan.command, plan.working_dir) == (None, None, None)
    assert plan.binds == {}
    assert plan.environment["_HANDLER"] == "app.h"


def test_image_config_overrides_command_entrypoint_and_working_directory() -> None:
    config = function(
        package_type="Image",
        runtime=None,
        handler=None,
        code_uri=None,
        image_config={
            "Command": ["other.handler"],
            "EntryPoint": ["/custom-entry"],
            "WorkingDirectory": "/app",
        },
    )
    facts = ImageFacts("my-fn:latest", entrypoint=("/lambda-entrypoint.sh",), command=("app.h",))
    plan = plan_container(spec(config), facts, HOST, OWNER, runtime_source=None)
    assert (plan.entrypoint, plan.command, plan.working_dir) == (
        ("/custom-entry",),
        ("other.handler",),
        "/app",
    )
    assert plan.environment["_HANDLER"] == "other.handler"


def test_an_entrypoint_override_alone_keeps_the_images_command_as_lambda_does() -> None:
    config = function(
        package_type="Image", runtime=None, code_uri=None, image_config={"EntryPoint": ["/e"]}
    )
    facts = ImageFacts("my-fn:latest", entrypoint=("/lambda-entrypoint.sh",), command=("app.h",))
    plan = plan_container(spec(config), facts, HOST, OWNER, runtime_source=None)
    assert (plan.entrypoint, plan.command) == (("/e",), ("app.h",))


def test_limits_follow_lambdas_memory_storage_and_quotas() -> None:
    config = function(memory_size=1769, ephemeral_storage_mb=1024)
    plan = plan_container(spec(config), PLAIN_PYTHON, HOST, OWNER, runtime_source=None)
    assert plan.mem_limit == 1769 * 1024 * 1024
    assert plan.cpu_shares == 1024
    assert plan.tmpfs == {"/tmp": "rw,size=1024m,mode=1777"}
    assert (plan.pids_limit, plan.nofile) == (1024, 1024)
    assert plan.read_only is True
    assert plan.security_opt == ("no-new-privileges",)
    assert plan.cap_drop == ("ALL",)
    assert plan.user == "993:990"


def test_tmp_is_512_mb_by_default() -> None:
    plan = plan_container(spec(function()), PLAIN_PYTHON, HOST, OWNER, runtime_source=None)
    assert plan.tmpfs == {"/tmp": "rw,size=512m,mode=1777"}


def test_cpu_share_is_proportional_to_memory() -> None:
    assert [cpu_shares(m) for m in (128, 512, 1769, 3538, 10240)] == [74, 296, 1024, 2048, 5928]


def test_every_container_is_labelled_with_instance_owner_function_and_environment() -> None:
    plan = plan_container(spec(function()), PLAIN_PYTHON, HOST, OWNER, runtime_source=None)
    assert plan.labels == {
        "lambdock.instance": "inst-1",
        "lambdock.owner": "devbox/4242/777",
        "lambdock.function": "hello",
        "lambdock.environment": "0123456789abcdef0123456789abcdef",
    }
    assert plan.name == "lambdock-hello-0123456789ab"


def test_host_networking_keeps_loopback_endpoints() -> None:
    endpoints = {"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000"}
    plan = plan_container(
        spec(function(), endpoints), PLAIN_PYTHON, HOST, OWNER, runtime_source=None
    )
    assert (plan.network_mode, plan.extra_hosts) == ("host", {"host.docker.internal": "127.0.0.1"})
    assert plan.environment["AWS_ENDPOINT_URL_S3"] == "http://127.0.0.1:9000"
    assert plan.environment["AWS_LAMBDA_RUNTIME_API"] == "127.0.0.1:40123"


def test_a_bridge_reaches_lambdock_and_loopback_endpoints_as_host_docker_internal() -> None:
    endpoints = {
        "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000",
        "AWS_ENDPOINT_URL_LAMBDA": "http://localhost:3000/",
        "AWS_ENDPOINT_URL_SQS": "https://sqs.example.com",
    }
    plan = plan_container(
        spec(function(), endpoints), PLAIN_PYTHON, BRIDGE, OWNER, runtime_source=None
    )
    assert (plan.network_mode, plan.extra_hosts) == (
        "bridge",
        {"host.docker.internal": "host-gateway"},
    )
    assert plan.environment["AWS_LAMBDA_RUNTIME_API"] == "host.docker.internal:40123"
    assert {k: plan.environment[k] for k in endpoints} == {
        "AWS_ENDPOINT_URL_S3": "http://host.docker.internal:9000",
        "AWS_ENDPOINT_URL_LAMBDA": "http://host.docker.internal:3000/",
        "AWS_ENDPOINT_URL_SQS": "https://sqs.example.com",
    }


def test_rewrite_loopback_keeps_credentials_paths_and_non_urls() -> None:
    host = "host.docker.internal"
    assert rewrite_loopback("http://u:p@127.0.0.1:9000/x?y=1", host) == (
        "http://u:p@host.docker.internal:9000/x?y=1"
    )
    assert rewrite_loopback("http://[::1]:9000", host) == "http://host.docker.internal:9000"
    assert rewrite_loopback("127.0.0.1:9000", host) == "127.0.0.1:9000"
    assert rewrite_loopback("http://10.0.0.5:9000", host) == "http://10.0.0.5:9000"


def test_container_endpoints_leave_host_networking_alone() -> None:
    endpoints = {"AWS_ENDPOINT_URL_S3": "http://localhost:9000"}
    assert container_endpoints(endpoints, HOST) == endpoints


def test_linux_engine_uses_host_networking_unless_a_network_is_named() -> None:
    assert network_plan(linux_engine=True, docker_network=None, bridge_gateway="172.17.0.1") == (
        NetworkPlan(mode="host")
    )
    assert network_plan(
        linux_engine=True, docker_network="compose_default", bridge_gateway="172.17.0.1"
    ) == NetworkPlan(
        mode="bridge",
        network="compose_default",
        runtime_host="host.docker.internal",
        bind_host="172.17.0.1",
    )


def test_docker_desktop_uses_the_bridge_and_listens_on_loopback() -> None:
    assert network_plan(linux_engine=False, docker_network=None, bridge_gateway=None) == (
        NetworkPlan(
            mode="bridge",
            network="bridge",
            runtime_host="host.docker.internal",
            bind_host="127.0.0.1",
        )
    )


def test_images_default_to_aws_base_images_per_runtime() -> None:
    assert [
        default_image(r)
        for r in ("python3.12", "nodejs20.x", "provided.al2023", "provided.al2", "provided", "go")
    ] == [
        "public.ecr.aws/lambda/python:3.12",
        "public.ecr.aws/lambda/nodejs:20",
        "public.ecr.aws/lambda/provided:al2023",
        "public.ecr.aws/lambda/provided:al2",
        "public.ecr.aws/lambda/provided:alami",
        None,
    ]


def test_a_runtime_image_mapping_wins_by_runtime_then_by_family() -> None:
    mapping = {"python3.12": "py312:local", "python": "py:local"}
    assert image_for(function(), mapping) == "py312:local"
    assert image_for(function(runtime="python3.11"), mapping) == "py:local"
    assert image_for(function(runtime="nodejs20.x"), mapping) == "public.ecr.aws/lambda/nodejs:20"


def test_an_image_function_runs_its_image_uri() -> None:
    config = function(package_type="Image", runtime=None, image_uri="my-fn:1")
    assert image_for(config, {"python": "py:local"}) == "my-fn:1"


def test_with_an_output_pipe_the_runtime_is_started_by_sh_writing_into_it() -> None:
    plan = plan_container(
        spec(function()),
        PLAIN_PYTHON,
        HOST,
        OWNER,
        runtime_source=Path("/repo/runtime/python"),
        output_pipe=Path("/tmp/lambdock-inst-1/env"),
    )
    assert plan.entrypoint == (
        "/bin/sh",
        "-c",
        'exec "$@" >/opt/lambdock/output 2>&1',
        "lambdock-runtime",
        "python3",
        "-m",
        "lambdock_runtime",
    )
    assert plan.command == ()
    assert plan.binds["/tmp/lambdock-inst-1/env"] == {"bind": "/opt/lambdock/output", "mode": "rw"}


def test_an_aws_base_image_behind_the_pipe_still_runs_its_entrypoint_with_the_handler() -> None:
    plan = plan_container(
        spec(function()), AWS_PYTHON, HOST, OWNER, runtime_source=None, output_pipe=Path("/p")
    )
    assert plan.entrypoint == (
        "/bin/sh",
        "-c",
        'exec "$@" >/opt/lambdock/output 2>&1',
        "lambdock-runtime",
        "/lambda-entrypoint.sh",
        "app.handler",
    )


def test_an_image_function_behind_the_pipe_keeps_the_images_command() -> None:
    config = function(package_type="Image", runtime=None, handler=None, code_uri=None)
    facts = ImageFacts("my-fn:1", entrypoint=("/lambda-entrypoint.sh",), command=("app.h",))
    plan = plan_container(
        spec(config), facts, HOST, OWNER, runtime_source=None, output_pipe=Path("/p")
    )
    assert plan.entrypoint is not None
    assert plan.entrypoint[4:] == ("/lambda-entrypoint.sh", "app.h")


def test_only_images_sure_to_have_a_shell_get_the_pipe() -> None:
    image_function = function(package_type="Image", runtime=None, code_uri=None)
    assert can_redirect_output(function(), PLAIN_PYTHON) is True
    assert can_redirect_output(image_function, AWS_PYTHON) is True
    assert can_redirect_output(image_function, ImageFacts("distroless:1")) is False
