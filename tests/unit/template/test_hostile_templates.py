"""Broken and hostile templates: each is refused with a TemplateError that says what is wrong,
in bounded time and memory, and no template of any shape escapes as another exception (what
`lambdock up` would print as a traceback)."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.app import create_app
from emulator.errors import LambdockError, TemplateError
from emulator.settings import Settings
from emulator.template import load_template
from tests.fakes import FakeBackend

FN = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: a.b
      Runtime: python3.12
      CodeUri: src
"""
# A sanity bound on what loading one hostile template may allocate.
MEMORY_BOUND_MB = 64


def write(folder: Path, text: str) -> Path:
    (folder / "src").mkdir(exist_ok=True)
    path = folder / "template.yaml"
    path.write_text(text)
    return path


def refusal(folder: Path, text: str) -> str:
    with pytest.raises(TemplateError) as refused:
        load_template(write(folder, text))
    return refused.value.message


def peak_mb(folder: Path, text: str) -> float:
    path = write(folder, text)
    tracemalloc.start()
    try:
        with pytest.raises(TemplateError):
            load_template(path)
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def nested(depth: int, opener: str, closer: str, core: str = "x") -> str:
    return opener * depth + core + closer * depth


HOSTILE = {
    "lists nested 20,000 deep": (
        FN + "      Description: " + nested(20_000, "[", "]") + "\n",
        "template nests too deeply",
    ),
    "mappings nested 20,000 deep": (
        FN + "      Description: " + nested(20_000, "{a: ", "}", "1") + "\n",
        "template nests too deeply",
    ),
    "Fn::If nested 3,000 deep": (
        "Conditions:\n  C: !Equals [a, a]\n"
        + FN
        + "      Description: "
        + nested(3000, "!If [C, ", ", y]")
        + "\n",
        "template nests too deeply",
    ),
    "conditions that depend on each other": (
        "Conditions:\n  A: !Condition B\n  B: !Condition A\n"
        + FN
        + "      Description: !If [A, x, y]\n",
        "condition 'A' depends on itself",
    ),
    "a number of 5,000 digits": (
        FN + "      Timeout: " + "9" * 5000 + "\n",
        "a value cannot be read: Exceeds the limit (4300 digits)",
    ),
    "a Python object tag": (
        FN + "      Description: !!python/object/apply:os.system ['echo pwned']\n",
        "not valid YAML: could not determine a constructor",
    ),
    "a NUL character": (
        FN.replace("Handler: a.b", "Handler: \x00.b"),
        "not valid YAML: unacceptable character #x0000",
    ),
    "CodeUri at an absolute path": (
        FN.replace("CodeUri: src", "CodeUri: /etc"),
        "CodeUri '/etc' points outside the project folder",
    ),
    "CodeUri climbing out": (
        FN.replace("CodeUri: src", "CodeUri: ../../../etc"),
        "CodeUri '../../../etc' points outside the project folder",
    ),
    "Events that is a list": (
        FN + "      Events:\n        E:\n          Type: Api\n          Properties: [1, 2]\n",
        "a value has an unexpected type or shape",
    ),
    "an event with no body": (
        FN + "      Events:\n        E:\n",
        "a value has an unexpected type or shape",
    ),
    "Globals that is a list": ("Globals: [1]\n" + FN, "a value has an unexpected type or shape"),
    "Architectures that is a number": (
        FN + "      Architectures: 5\n",
        "a value has an unexpected type or shape",
    ),
    "a template that is a list": ("- a\n- b\n", "template must be a YAML mapping"),
    "no Resources": ("Resources:\n", "template has no Resources"),
}


@pytest.mark.parametrize(("text", "message"), HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_template_is_refused_with_a_clear_error(
    tmp_path: Path, text: str, message: str
) -> None:
    assert message in refusal(tmp_path, text)


def test_codeuri_through_a_symlink_out_of_the_project_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    project = tmp_path / "project"
    project.mkdir()
    (project / "code").symlink_to(outside)
    text = FN.replace("CodeUri: src", "CodeUri: code")
    assert refusal(project, text) == "CodeUri 'code' points outside the project folder"


def alias_bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "".join(f"          {line}\n" for line in lines)


def test_a_billion_laughs_alias_bomb_is_refused_within_bounded_memory(tmp_path: Path) -> None:
    text = FN + "      Environment:\n        Variables:\n" + alias_bomb(9)
    assert peak_mb(tmp_path, text) < MEMORY_BOUND_MB
    assert "expands to more than" in refusal(tmp_path, text)


def test_an_alias_bomb_in_a_section_lambdock_never_reads_costs_nothing(tmp_path: Path) -> None:
    # YAML aliases are shared, not copied, when parsed: only walking them could explode.
    bomb = alias_bomb(9).replace("          ", "  ")
    path = write(tmp_path, "Metadata:\n" + bomb + FN)
    tracemalloc.start()
    try:
        assert "Fn" in load_template(path).functions
        assert tracemalloc.get_traced_memory()[1] / 1e6 < MEMORY_BOUND_MB
    finally:
        tracemalloc.stop()


def test_a_huge_split_is_bounded_in_memory(tmp_path: Path) -> None:
    text = FN + "      Description: !Join ['', !Split [',', '" + "," * 500_000 + "']]\n"
    assert peak_mb(tmp_path, text + "      Timeout: lots\n") < MEMORY_BOUND_MB


# --- any shape at all -----------------------------------------------------------------------

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["src", "a.b", "python3.12", "/x/{id}", "get", "ANY", "rate(1 minute)"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["Ref", "Fn::Sub", "Fn::If", "Fn::Join", "Fn::GetAtt", "Type", "Properties", "Path"]
            )
            | st.text(max_size=8),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)
PROPERTIES = [
    "Handler",
    "Runtime",
    "CodeUri",
    "Timeout",
    "MemorySize",
    "Environment",
    "Events",
    "Policies",
    "Layers",
    "Architectures",
    "ReservedConcurrentExecutions",
    "EventInvokeConfig",
    "FunctionName",
    "PackageType",
    "ImageConfig",
    "DeadLetterQueue",
    "Description",
]
SECTIONS = ["Parameters", "Conditions", "Mappings", "Globals", "Outputs", "Transform"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("shapes")


def load_and_serve(path: Path) -> None:
    """Load and build the app (routes, schedules): only lambdock's own errors may come out."""
    try:
        template = load_template(path)
        create_app(Settings(template=path, echo_logs=False), template, FakeBackend({}))
    except LambdockError:
        pass


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    properties=st.dictionaries(st.sampled_from(PROPERTIES), values, max_size=5),
    sections=st.dictionaries(st.sampled_from(SECTIONS), values, max_size=2),
    other=st.sampled_from(
        ["AWS::S3::Bucket", "AWS::Serverless::Api", "AWS::Serverless::HttpApi", "AWS::SQS::Queue"]
    ),
    other_properties=values,
)
def test_a_template_of_any_shape_loads_or_is_a_lambdock_error(
    folder: Path,
    properties: dict[str, Any],
    sections: dict[str, Any],
    other: str,
    other_properties: Any,
) -> None:
    document = {
        "Transform": "AWS::Serverless-2016-10-31",
        **sections,
        "Resources": {
            "Fn": {
                "Type": "AWS::Serverless::Function",
                "Properties": {"Handler": "a.b", "Runtime": "python3.12", "CodeUri": "src"}
                | properties,
            },
            "Other": {"Type": other, "Properties": other_properties},
        },
    }
    load_and_serve(write(folder, json.dumps(document)))


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.text(max_size=300))
def test_any_text_loads_or_is_a_template_error(folder: Path, text: str) -> None:
    load_and_serve(write(folder, FN + text))
