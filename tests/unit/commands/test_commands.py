"""The commands that need no template of their own: generate-event and init, run in-process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from emulator.cli import main
from emulator.commands.init import create_project, project_files
from emulator.template import load_template


def run_handler(project: Path, event: dict[str, Any]) -> Any:
    namespace: dict[str, Any] = {}
    exec(compile((project / "src" / "app.py").read_text(), "app.py", "exec"), namespace)
    return namespace["handler"](event, None)


def test_generate_event_prints_the_event_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["generate-event", "s3-put", "--bucket", "uploads", "--key", "a b.txt"])
    event = json.loads(capsys.readouterr().out)
    assert code == 0
    assert event["Records"][0]["s3"]["bucket"]["name"] == "uploads"
    assert event["Records"][0]["s3"]["object"]["key"] == "a+b.txt"


def test_generate_event_takes_the_request_of_an_api_event(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(
        [
            "generate-event",
            "apigw-v2",
            "--method",
            "post",
            "--path",
            "orders",
            "--query",
            "?id=7",
            "--body",
            '{"n": 1}',
            "--header",
            "X-Api-Key: secret",
        ]
    )
    event = json.loads(capsys.readouterr().out)
    assert event["routeKey"] == "POST /orders"
    assert event["rawQueryString"] == "id=7"
    assert event["body"] == '{"n": 1}'
    assert event["headers"]["x-api-key"] == "secret"
    assert event["headers"]["content-type"] == "application/json"


def test_generate_event_needs_no_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["generate-event", "schedule"]) == 0
    assert json.loads(capsys.readouterr().out)["detail-type"] == "Scheduled Event"


def test_a_bad_header_option_names_the_expected_form() -> None:
    with pytest.raises(SystemExit, match="--header wants NAME:VALUE"):
        main(["generate-event", "apigw-v1", "--header", "nocolon"])


def test_init_writes_a_project_whose_template_loads(tmp_path: Path) -> None:
    written = create_project(tmp_path / "demo")
    project = tmp_path / "demo"
    assert sorted(str(path.relative_to(project)) for path in written) == sorted(
        project_files("demo")
    )
    template = load_template(project / "template.yaml")
    function = template.functions["HelloFunction"]
    assert (function.handler, function.runtime) == ("app.handler", "python3.12")
    assert function.code_uri == (project / "src").resolve()
    assert [(e.type, dict(e.properties)) for e in function.events] == [
        ("HttpApi", {"Path": "/hello", "Method": "GET"})
    ]
    bucket = template.buckets["DataBucket"]
    assert function.environment["BUCKET_NAME"] == bucket.bucket_name


def test_the_starter_handler_answers_its_sample_event(tmp_path: Path) -> None:
    create_project(tmp_path)
    event = json.loads((tmp_path / "events" / "hello.json").read_text())
    response = run_handler(tmp_path, event)
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["message"] == "hello, lambdock"


def test_the_starter_test_uses_the_pytest_plugin_fixture(tmp_path: Path) -> None:
    create_project(tmp_path)
    test = (tmp_path / "tests" / "test_app.py").read_text()
    assert "def test_hello_greets_by_name(lambdock):" in test
    assert "api = lambdock.http()" in test


def test_init_never_overwrites_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "template.yaml").write_text("mine\n")
    assert main(["init", str(tmp_path)]) == 2
    assert "init would overwrite" in capsys.readouterr().err
    assert (tmp_path / "template.yaml").read_text() == "mine\n"
    assert not (tmp_path / "src").exists()


def test_init_says_what_to_do_next(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path / "new")]) == 0
    out = capsys.readouterr().out
    assert f"lambdock: next: cd {tmp_path / 'new'} && lambdock up" in out
