"""S3 on a real MinIO through `lambdock up --backend process`: buckets, `!Ref`/`!GetAtt`,
handlers using unmodified boto3, SAM trigger filters, key encoding, bursts, recursive loops.

Event shapes follow the S3 User Guide ("Event message structure"); the loop limit follows the
Lambda developer guide ("Use Lambda recursive loop detection to prevent infinite loops").
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from tests.integration.s3.support import (
    ECHOES,
    RESULTS,
    STACK,
    S3Stack,
    keys,
    results_for,
    wait_until,
)


def test_the_template_s_buckets_exist_at_start_and_health_shows_storage(stack: S3Stack) -> None:
    incoming = stack.incoming()
    assert incoming.startswith(f"{STACK}-incoming-")
    listed = {bucket["Name"] for bucket in stack.s3().list_buckets()["Buckets"]}
    assert {incoming, RESULTS, ECHOES} <= listed
    storage = stack.storage()
    assert (storage["state"], storage["managed"]) == ("connected", True)
    assert storage["buckets"] == [incoming, RESULTS, ECHOES]
    assert storage["minio"]["running"] is True
    assert storage["triggers"]["subscriptions"] == 4


def test_functions_get_bucket_names_arns_the_endpoint_and_credentials_minio_accepts(
    stack: S3Stack,
) -> None:
    settings = stack.invoke("Settings")
    incoming = settings["INCOMING_BUCKET"]
    # Each function has a MinIO user of its own, whose policy follows its SAM Policies.
    key, secret = settings["AWS_ACCESS_KEY_ID"], settings["AWS_SECRET_ACCESS_KEY"]
    assert key.startswith("fn-Settings-") and len(secret) >= 32
    assert settings == {
        "INCOMING_BUCKET": incoming,
        "INCOMING_ARN": f"arn:aws:s3:::{incoming}",
        "RESULTS_BUCKET": RESULTS,
        "AWS_ENDPOINT_URL_S3": stack.storage()["endpoint"],
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
        # MinIO refuses a session token it did not issue.
        "AWS_SESSION_TOKEN": None,
        "AWS_REGION": "us-east-1",
    }
    assert settings["AWS_ENDPOINT_URL_S3"].startswith("http://127.0.0.1:")


def test_a_put_runs_the_handler_which_reads_it_and_writes_its_output_with_boto3(
    stack: S3Stack,
) -> None:
    s3, incoming = stack.s3(), stack.incoming()
    s3.put_object(Bucket=incoming, Key="in/hello.txt", Body=b"hello, lambdock")
    (result,) = wait_until(lambda: results_for(s3, "in/hello.txt"), "the transform's output")
    assert result["upper"] == "HELLO, LAMBDOCK"
    record = result["record"]
    assert {k: record[k] for k in ("eventVersion", "eventSource", "awsRegion", "eventName")} == {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventName": "ObjectCreated:Put",
    }
    assert record["s3"]["bucket"] == {
        "name": incoming,
        "ownerIdentity": {"principalId": "lambdock"},
        "arn": f"arn:aws:s3:::{incoming}",
    }
    assert record["s3"]["object"]["key"] == "in/hello.txt"
    assert record["s3"]["object"]["size"] == 15


def test_prefix_suffix_and_event_type_filters_pick_the_functions(stack: S3Stack) -> None:
    s3, incoming = stack.s3(), stack.incoming()
    before = stack.counts()["events"]
    s3.put_object(Bucket=incoming, Key="in/skipped.csv", Body=b"wrong suffix")
    s3.put_object(Bucket=incoming, Key="other/skipped.txt", Body=b"wrong prefix")
    s3.put_object(Bucket=incoming, Key="in/kept.txt", Body=b"kept")
    (kept,) = wait_until(lambda: results_for(s3, "in/kept.txt"), "the put's output")
    assert kept["record"]["eventName"] == "ObjectCreated:Put"
    s3.copy_object(Bucket=incoming, Key="in/copied.txt", CopySource=f"{incoming}/in/kept.txt")
    (copied,) = wait_until(lambda: results_for(s3, "in/copied.txt"), "the copy's output")
    assert copied["record"]["eventName"] == "ObjectCreated:Copy"
    s3.delete_object(Bucket=incoming, Key="in/kept.txt")
    (removed,) = wait_until(lambda: keys(s3, RESULTS, "removed/in/kept.txt/"), "the removal")
    removal = json.loads(s3.get_object(Bucket=RESULTS, Key=removed)["Body"].read())
    assert (removal["eventName"], removal["s3"]["object"]["key"]) == (
        "ObjectRemoved:Delete",
        "in/kept.txt",
    )
    # 5 writes, then the 3 outputs the functions wrote: every event has been through the sink.
    wait_until(lambda: stack.counts()["events"] >= before + 8, "the sink to see every event")
    assert results_for(s3, "in/skipped.csv") == []
    assert results_for(s3, "other/skipped.txt") == []
    assert keys(s3, RESULTS, "removed/in/copied.txt/") == []


def test_keys_with_spaces_and_unicode_are_url_encoded_in_the_event_as_s3_does(
    stack: S3Stack,
) -> None:
    s3, incoming = stack.s3(), stack.incoming()
    key = "in/2024 Q1 r\u00e9sum\u00e9+final (1).txt"
    s3.put_object(Bucket=incoming, Key=key, Body=b"unicode")
    (result,) = wait_until(lambda: results_for(s3, key), "the output of the unicode key")
    assert result["key"] == key
    assert result["record"]["s3"]["object"]["key"] == (
        "in/2024+Q1+r%C3%A9sum%C3%A9%2Bfinal+%281%29.txt"
    )
    assert result["upper"] == "UNICODE"


def test_every_one_of_many_quick_writes_runs_the_handler_exactly_once(stack: S3Stack) -> None:
    s3, incoming = stack.s3(), stack.incoming()
    written = [f"in/burst/{number:03d}.txt" for number in range(150)]
    before = stack.counts()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda key: s3.put_object(Bucket=incoming, Key=key, Body=b"x"), written))

    def outputs() -> list[str] | None:
        found = keys(s3, RESULTS, "transformed/in/burst/")
        return found if len(found) >= len(written) else None

    wait_until(outputs, f"{len(written)} outputs", seconds=180)

    # Each event's second copy (MinIO's queued target) has come and gone, so a duplicate
    # invocation would have been queued by now.
    def settled() -> bool:
        now = stack.counts()
        done = now["duplicates"] + now["queued"] - before["duplicates"] - before["queued"]
        return done >= 2 * len(written)  # the inputs and the outputs the function wrote

    wait_until(settled, "MinIO's queued copies of every event", seconds=120)
    stack.invoke("Settings")  # any invocation still queued has a turn before this one ends
    per_input = {key: len(keys(s3, RESULTS, f"transformed/{key}/")) for key in written}
    assert per_input == dict.fromkeys(written, 1)


def test_a_function_writing_into_its_own_trigger_bucket_is_stopped_after_16_runs(
    stack: S3Stack,
) -> None:
    s3 = stack.s3()
    s3.put_object(Bucket=ECHOES, Key="echo/0", Body=b"start")
    wait_until(lambda: stack.counts()["recursive_loops_stopped"] >= 1, "the loop to be detected")
    # echo/0 came from the test; Echo ran 16 times and wrote echo/1..echo/16; the event of
    # echo/16 would have been its 17th run in the chain.
    assert keys(s3, ECHOES) == sorted(f"echo/{number}" for number in range(17))
    output = stack.lambdock.output()
    assert "recursive loop detected: Echo has run 16 times" in output
    assert f"s3://{ECHOES}/echo/16 was stopped" in output
