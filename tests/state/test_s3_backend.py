"""The S3 state backend (agentctl.locks.ObjectBackend over agentctl.aws.s3state.S3Store) against
moto's S3 server (and real S3 with the ``aws`` marker): the lock is exclusive across processes,
a waiting process says whose lock it waits for and fails with LOCK_TIMEOUT, an expired lock is
taken over (by one taker only), force-unlock releases exactly the named lock, records append
without losing lines, and the PutObject that takes the lock carries If-None-Match: * (Stubber).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agentctl.aws.s3state import S3Store
from agentctl.errors import LockTimeout, UsageError
from agentctl.exitcodes import ExitCode
from agentctl.locks import LockInfo, ObjectBackend


def backend(s3, tmp_path, **kw) -> ObjectBackend:
    return ObjectBackend(S3Store(s3.bucket, region=s3.region), s3.prefix, root=tmp_path, **kw)


def lock_object(s3) -> dict:
    body = s3.client().get_object(Bucket=s3.bucket, Key=f"{s3.prefix}/lock.json")["Body"].read()
    return json.loads(body)


def test_lock_object_holds_who_what_when_and_is_removed_on_release(s3, tmp_path):
    b = backend(s3, tmp_path)
    with b.lock("agentctl apply", timeout=0) as info:
        doc = lock_object(s3)
        assert doc["id"] == info.id and doc["operation"] == "agentctl apply"
        assert f"pid {__import__('os').getpid()}" in doc["who"]
        assert doc["when"] and doc["expires"] > doc["when"]
        assert "git_commit" in doc
    assert b.holder() is None


def test_a_held_lock_times_out_naming_its_holder_and_id(s3, tmp_path):
    a, b = backend(s3, tmp_path), backend(s3, tmp_path)
    said: list[str] = []
    with a.lock("agentctl apply", timeout=0) as held:
        with pytest.raises(LockTimeout) as ei:
            with b.lock("agentctl promote", timeout=0.5, progress=said.append):
                pytest.fail("both hold the lock")
    e = ei.value
    assert e.exit_code == ExitCode.LOCK_TIMEOUT
    assert held.id in e.what and "(agentctl apply) since" in e.what
    assert f"agentctl force-unlock {held.id}" in e.hint and "--lock-timeout" in e.hint
    assert said and said[0].startswith("waiting for the lock held by ")
    assert "(agentctl apply) since" in said[0] and held.id in said[0]


def test_an_expired_lock_is_taken_over_and_its_old_holder_cannot_delete_the_new_one(s3, tmp_path):
    stale = LockInfo(id="stale-id", operation="agentctl apply", who="ci@runner-1 pid 7",
                     when="2020-01-01T00:00:00Z", expires="2020-01-01T01:00:00Z")
    c = s3.client()
    c.put_object(Bucket=s3.bucket, Key=f"{s3.prefix}/lock.json", Body=stale.to_json().encode())
    said: list[str] = []
    b = backend(s3, tmp_path)
    with b.lock("agentctl apply", timeout=0, progress=said.append) as mine:
        assert lock_object(s3)["id"] == mine.id
        assert any("took over the expired lock held by ci@runner-1 pid 7" in s for s in said)
        # The stale holder coming back cannot release the new lock (its ETag is gone).
        assert b.store.delete_if_match(b.lock_key, '"not-the-etag"') is False
        assert lock_object(s3)["id"] == mine.id
    assert b.holder() is None


def test_a_lock_that_has_not_expired_is_not_taken_over(s3, tmp_path):
    other = backend(s3, tmp_path, expiry=3600)
    with other.lock("agentctl apply", timeout=0):
        with pytest.raises(LockTimeout):
            with backend(s3, tmp_path).lock("agentctl apply", timeout=0):
                pass


def test_force_unlock_releases_only_the_named_lock(s3, tmp_path):
    a = backend(s3, tmp_path)
    cm = a.lock("agentctl apply", timeout=0)
    info = cm.__enter__()  # a run that died holding it
    b = backend(s3, tmp_path)
    with pytest.raises(UsageError, match=f"lock id {info.id}, not wrong-id"):
        b.force_unlock("wrong-id")
    assert b.holder().id == info.id
    released = b.force_unlock(info.id)
    assert released.id == info.id and b.holder() is None
    with b.lock("agentctl apply", timeout=0):
        pass
    with pytest.raises(UsageError, match="no lock is held"):
        b.force_unlock(info.id)
    with b.lock("agentctl apply", timeout=0) as newer:
        # The force-unlocked run finishing late must not remove the newer lock.
        cm.__exit__(None, None, None)
        assert b.holder().id == newer.id


def test_records_append_across_backends_and_read_back(s3, tmp_path):
    a, b = backend(s3, tmp_path), backend(s3, tmp_path)
    a.append("applied-plans", "one\n")
    b.append("applied-plans", "two\n")
    assert a.read("applied-plans") == "one\ntwo\n"
    assert a.where("applied-plans") == f"s3://{s3.bucket}/{s3.prefix}/applied-plans"


WORKER = textwrap.dedent('''
    import sys, time
    from pathlib import Path
    from agentctl.aws.s3state import S3Store
    from agentctl.locks import ObjectBackend
    bucket, prefix, region, counter, rounds = sys.argv[1:6]
    b = ObjectBackend(S3Store(bucket, region=region), prefix, root=Path("."))
    for _ in range(int(rounds)):
        with b.lock("worker", timeout=60):
            # Read-modify-write without any other protection: only mutual exclusion keeps
            # the count exact.
            n = int(Path(counter).read_text())
            time.sleep(0.02)
            Path(counter).write_text(str(n + 1))
            b.append("journal", "x\\n")
''')


def test_processes_contending_for_the_lock_never_both_hold_it(s3, tmp_path):
    counter = tmp_path / "counter"
    counter.write_text("0")
    procs, rounds = 3, 4
    ps = [subprocess.Popen([sys.executable, "-c", WORKER, s3.bucket, s3.prefix, s3.region,
                            str(counter), str(rounds)], stderr=subprocess.PIPE, text=True)
          for _ in range(procs)]
    errs = [p.communicate(timeout=240)[1] for p in ps]
    assert [p.returncode for p in ps] == [0] * procs, errs
    assert int(counter.read_text()) == procs * rounds
    assert backend(s3, tmp_path).read("journal") == "x\n" * (procs * rounds)


def test_a_second_process_waits_for_the_lock_then_gets_it(s3, tmp_path):
    """One process holds the lock until told to let go; a second waits (saying so) and gets it
    once released, instead of failing."""
    release = tmp_path / "release"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent('''
        import sys, time
        from pathlib import Path
        from agentctl.aws.s3state import S3Store
        from agentctl.locks import ObjectBackend
        b = ObjectBackend(S3Store(sys.argv[1], region=sys.argv[3]), sys.argv[2], root=Path("."))
        with b.lock("agentctl apply", timeout=0):
            print("held", flush=True)
            while not Path(sys.argv[4]).exists():
                time.sleep(0.05)
        '''), s3.bucket, s3.prefix, s3.region, str(release)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        said: list[str] = []

        def progress(line: str) -> None:
            said.append(line)
            release.write_text("go")  # let the holder finish once we are seen waiting

        with backend(s3, tmp_path).lock("agentctl promote", timeout=60, progress=progress):
            assert lock_object(s3)["operation"] == "agentctl promote"
        assert said and "waiting for the lock held by" in said[0]
        assert "(agentctl apply) since" in said[0]
    finally:
        release.write_text("go")
        holder.wait(timeout=60)


def test_the_lock_is_taken_with_a_conditional_put(tmp_path):
    """The exact request: PutObject with IfNoneMatch='*' (the write that fails with 412 when the
    lock exists), then DeleteObject with IfMatch our ETag."""
    import boto3
    from botocore.stub import ANY, Stubber

    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="y")
    stub = Stubber(client)
    stub.add_response("put_object", {"ETag": '"e1"'},
                      {"Bucket": "bkt", "Key": "p/lock.json", "Body": ANY, "IfNoneMatch": "*",
                       "ContentType": "application/json"})
    stub.add_response("delete_object", {},
                      {"Bucket": "bkt", "Key": "p/lock.json", "IfMatch": '"e1"'})
    b = ObjectBackend(S3Store("bkt", region="us-east-1", client=client), "p", root=tmp_path)
    with stub:
        with b.lock("agentctl apply", timeout=0):
            pass
        stub.assert_no_pending_responses()


def test_a_lost_conditional_put_is_none_not_an_error(tmp_path):
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="y")
    stub = Stubber(client)
    stub.add_client_error("put_object", "PreconditionFailed", http_status_code=412)
    stub.add_client_error("put_object", "ConditionalRequestConflict", http_status_code=409)
    stub.add_client_error("put_object", "AccessDenied", http_status_code=403)
    store = S3Store("bkt", region="us-east-1", client=client)
    with stub:
        assert store.put_if_absent("k", b"{}") is None
        assert store.put_if_absent("k", b"{}") is None
        from agentctl.errors import AgentctlError

        with pytest.raises(AgentctlError, match="AccessDenied") as ei:
            store.put_if_absent("k", b"{}")
    assert "s3:PutObject" in ei.value.hint and "s3://bkt/k" in ei.value.message()


def test_version_content_cache_is_shared_by_clones_through_the_bucket(s3, tmp_path):
    # Issue 13: numbered versions' content is cached in the records, so a second clone (another
    # CI runner) on the same backend does not read a version the first one read.
    from agentctl.apply.version_cache import RECORD, RecordVersionCache

    first = RecordVersionCache(backend(s3, tmp_path / "a"))
    assert first.get("k1") is None
    first.put("k1", {"agent": {"instruction": "x"}})
    first.flush()
    second = RecordVersionCache(backend(s3, tmp_path / "b"))
    assert second.get("k1") == {"agent": {"instruction": "x"}}
    assert "k1" in backend(s3, tmp_path).read(RECORD)
