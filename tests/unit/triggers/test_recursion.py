"""Lambda's recursive loop detection, as the AWS Lambda developer guide describes it ("Use
Lambda recursive loop detection to prevent infinite loops"): a function invoked more than 16
times in one chain of requests is stopped. The chain travels in the X-Ray trace header's
Lineage field (`hash:count|hash:count`, as OpenTelemetry's X-Ray propagator reads it)."""

from __future__ import annotations

import pytest

from emulator.triggers.recursion import (
    MAX_INVOCATIONS_PER_CHAIN,
    ChainStep,
    TraceHeader,
    function_hash,
    new_root,
    next_step,
    parse_lineage,
    parse_trace_header,
)

ARN = "arn:aws:lambda:us-east-1:123456789012:function:Echo"
OTHER_ARN = "arn:aws:lambda:us-east-1:123456789012:function:Other"
ROOT = "1-6b0aa2bc-f6c189886bfe9c18677984cd"


def fixed_root() -> str:
    return ROOT


def fixed_parent() -> str:
    return "5691b452059ee4cd"


def test_a_trace_header_is_parsed_and_rendered_field_by_field() -> None:
    text = f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a87bd80c:1|68fd508a:5;Foo=bar"
    header = parse_trace_header(text)
    assert header == TraceHeader(
        root=ROOT,
        parent="53995c3f42cd8ad8",
        sampled="1",
        lineage={"a87bd80c": 1, "68fd508a": 5},
        others=(("Foo", "bar"),),
    )
    assert header.render() == text


def test_a_header_without_a_root_is_no_trace() -> None:
    assert parse_trace_header("Parent=53995c3f42cd8ad8;Sampled=1") is None


def test_lineage_entries_with_a_version_prefix_and_malformed_ones_are_read_or_skipped() -> None:
    assert parse_lineage("1:fe460cdd:0|junk|x:y|037bed70:4") == {"fe460cdd": 0, "037bed70": 4}


def test_a_write_from_outside_any_function_starts_a_chain() -> None:
    step = next_step(None, ARN, new_root=fixed_root, new_parent=fixed_parent)
    expected = f"Root={ROOT};Parent=5691b452059ee4cd;Sampled=0;Lineage={function_hash(ARN)}:0"
    assert step == ChainStep(trace_header=expected, count=0)
    assert not step.stopped


def test_a_write_from_the_chain_continues_its_trace_and_counts_the_function_again() -> None:
    cause = f"Root={ROOT};Parent=aaaa;Sampled=1;Lineage={function_hash(ARN)}:4"
    step = next_step(cause, ARN, new_root=lambda: "unused", new_parent=fixed_parent)
    assert step.trace_header == (
        f"Root={ROOT};Parent=5691b452059ee4cd;Sampled=1;Lineage={function_hash(ARN)}:5"
    )
    assert step.count == 5


def test_each_function_of_a_chain_keeps_its_own_count() -> None:
    cause = f"Root={ROOT};Lineage={function_hash(OTHER_ARN)}:7"
    step = next_step(cause, ARN, new_root=fixed_root, new_parent=fixed_parent)
    assert parse_trace_header(step.trace_header) == TraceHeader(
        root=ROOT,
        parent="5691b452059ee4cd",
        sampled="0",
        lineage={function_hash(OTHER_ARN): 7, function_hash(ARN): 0},
    )


@pytest.mark.parametrize(("previous", "stopped"), [(14, False), (15, True), (40, True)])
def test_the_seventeenth_invocation_in_a_chain_is_stopped(previous: int, stopped: bool) -> None:
    cause = f"Root={ROOT};Lineage={function_hash(ARN)}:{previous}"
    step = next_step(cause, ARN, new_root=fixed_root)
    assert step.stopped is stopped
    assert MAX_INVOCATIONS_PER_CHAIN == 16


def test_a_new_root_has_the_x_ray_trace_id_shape() -> None:
    root = new_root(1_700_000_000.5)
    version, epoch, unique = root.split("-")
    assert (version, epoch, len(unique)) == ("1", "6553f100", 24)
