"""Storage: one transaction per operation, shared files between emulator instances, restarts."""

from __future__ import annotations

import sqlite3

import pytest

from agentctl.emulator import Emulator
from agentctl.emulator.store import Store

from .conftest import NO_RETRIES, error_of, make_emulator, new_agent, prepared_agent, status


def test_a_failed_transaction_writes_nothing(tmp_path) -> None:
    store = Store(tmp_path / "s.db")
    with pytest.raises(RuntimeError):
        with store.transaction() as tx:
            tx.put("agent", "A", "DRAFT", "", {"x": 1})
            raise RuntimeError("boom")
    with store.transaction() as tx:
        assert tx.get("agent", "A", "DRAFT", "") is None
        tx.put("agent", "A", "DRAFT", "", {"x": 2})
    with store.transaction() as tx:
        assert tx.get("agent", "A", "DRAFT", "") == {"x": 2}
    store.close()


def test_state_file_is_wal_and_replaced_rows_keep_their_position(tmp_path) -> None:
    store = Store(tmp_path / "s.db")
    with store.transaction() as tx:
        tx.put("k", "", "", "a", {"n": 1})
        tx.put("k", "", "", "b", {"n": 2})
        tx.put("k", "", "", "a", {"n": 3})
        assert [r.rid for r in tx.rows("k")] == ["a", "b"]
    store.close()
    mode = sqlite3.connect(tmp_path / "s.db").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_an_operation_that_fails_midway_leaves_no_partial_state(tmp_path, clock) -> None:
    # The documented seam: ``before_commit`` runs after the operation wrote, inside its
    # transaction. CreateAgentActionGroup on a PREPARED agent writes two rows (the group, and the
    # agent back to NOT_PREPARED): a failure before the commit must undo both.
    seen: list[dict] = []

    def fail_action_group_creation(operation: str, result) -> None:
        if operation == "CreateAgentActionGroup":
            seen.append(dict(result["agentActionGroup"]))
            raise RuntimeError("bug")

    emu = Emulator(tmp_path / "s.db", clock=clock, sleep=clock.sleep, before_commit=fail_action_group_creation)
    client = emu.client(config=NO_RETRIES)
    agent_id = prepared_agent(client, clock)
    code, _, http = error_of(client.create_agent_action_group, agentId=agent_id, agentVersion="DRAFT",
                             actionGroupName="g", parentActionGroupSignature="AMAZON.UserInput")
    assert (code, http) == ("InternalServerException", 500)
    assert len(seen) == 1   # the handler did run and wrote the group before the failure
    assert client.list_agent_action_groups(agentId=agent_id, agentVersion="DRAFT")["actionGroupSummaries"] == []
    assert error_of(client.get_agent_action_group, agentId=agent_id, agentVersion="DRAFT",
                    actionGroupId=seen[0]["actionGroupId"])[0] == "ResourceNotFoundException"
    assert status(client, agent_id) == "PREPARED"
    assert emu.calls("CreateAgentActionGroup")[-1].outcome == "InternalServerException"
    emu.close()


def test_two_emulators_on_one_file_see_each_others_writes(tmp_path, clock) -> None:
    a = make_emulator(tmp_path / "shared.db", clock)
    b = make_emulator(tmp_path / "shared.db", clock)   # seeding twice is idempotent
    ca, cb = a.client(config=NO_RETRIES), b.client(config=NO_RETRIES)
    agent_id = ca.create_agent(agentName="shared")["agent"]["agentId"]
    assert cb.get_agent(agentId=agent_id)["agent"]["agentName"] == "shared"
    clock.advance(1)
    # The transition settles lazily on whichever instance looks first; both agree.
    assert status(cb, agent_id) == "NOT_PREPARED" == status(ca, agent_id)
    assert [c.operation for c in b.calls()] == ["CreateAgent", "GetAgent", "GetAgent", "GetAgent"]
    assert len(ca.list_knowledge_bases()["knowledgeBaseSummaries"]) == 3
    a.close()
    b.close()


def test_state_survives_a_restart(tmp_path, clock) -> None:
    emu = make_emulator(tmp_path / "s.db", clock)
    agent_id = new_agent(emu.client(config=NO_RETRIES), clock)
    emu.close()
    again = Emulator(tmp_path / "s.db", clock=clock)
    assert status(again.client(config=NO_RETRIES), agent_id) == "NOT_PREPARED"
    again.reset()
    assert again.client(config=NO_RETRIES).list_agents()["agentSummaries"] == []
    again.close()


def test_private_temp_state_is_deleted_on_close() -> None:
    emu = Emulator()
    path = emu.state_path
    emu.client(config=NO_RETRIES).create_agent(agentName="tmp")
    assert path.exists()
    emu.close()
    assert not path.exists()


def test_call_log_has_operation_params_outcome_and_transport(emu, client) -> None:
    client.create_agent(agentName="logged", instruction="x" * 40)
    error_of(client.get_agent, agentId="NOSUCHAGNT")
    emu.handle_http("POST", "/agents/", {}, b"{}")
    calls = emu.calls()
    assert [(c.operation, c.outcome, c.transport) for c in calls] == [
        ("CreateAgent", "ok", "inprocess"), ("GetAgent", "ResourceNotFoundException", "inprocess"),
        ("ListAgents", "ok", "http")]
    assert calls[0].params["agentName"] == "logged" and calls[0].seq < calls[1].seq
    assert "Authorization" not in str(calls[0].params)
    assert [c.operation for c in emu.calls("GetAgent")] == ["GetAgent"]
    emu.clear_calls()
    assert emu.calls() == []


def test_concurrent_writers_on_one_file_lose_nothing(tmp_path, clock) -> None:
    import threading

    emus = [make_emulator(tmp_path / "shared.db", clock) for _ in range(2)]
    clients = [e.client(config=NO_RETRIES) for e in emus]
    errors: list[BaseException] = []

    def create(n: int) -> None:
        try:
            for i in range(15):
                clients[n].create_agent(agentName=f"w{n}-{i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    names = [a["agentName"] for page in clients[0].get_paginator("list_agents").paginate()
             for a in page["agentSummaries"]]
    assert sorted(names) == sorted(f"w{n}-{i}" for n in range(2) for i in range(15))
    assert len(emus[1].calls("CreateAgent")) == 30
    for e in emus:
        e.close()


def test_another_process_sees_the_same_state_and_call_log(tmp_path, clock) -> None:
    import subprocess
    import sys

    emu = make_emulator(tmp_path / "shared.db", clock)
    agent_id = emu.client(config=NO_RETRIES).create_agent(agentName="from-parent")["agent"]["agentId"]
    script = (
        "import sys; from agentctl.emulator import Emulator\n"
        "emu = Emulator(sys.argv[1]); c = emu.client()\n"
        "print(c.get_agent(agentId=sys.argv[2])['agent']['agentName'])\n"
        "c.create_agent(agentName='from-child'); emu.close()\n"
    )
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "shared.db"), agent_id],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "from-parent"
    names = {a["agentName"] for a in emu.client(config=NO_RETRIES).list_agents()["agentSummaries"]}
    assert names == {"from-parent", "from-child"}
    assert [c.operation for c in emu.calls()][-3:] == ["GetAgent", "CreateAgent", "ListAgents"]
    emu.close()


def test_seed_world_is_idempotent_and_rejects_bad_ids(emu, client) -> None:
    from agentctl.emulator import World
    from agentctl.errors import UsageError

    emu.seed_world(World(knowledge_bases=[{"id": "KB1234ABCD", "name": "renamed"}],
                         lambdas=[{"arn": "arn:aws:lambda:us-east-1:123456789012:function:f", "handler": "m:f"}]))
    emu.seed_world(World(lambdas=[{"arn": "arn:aws:lambda:us-east-1:123456789012:function:f", "handler": "m:f"}]))
    kbs = client.list_knowledge_bases()["knowledgeBaseSummaries"]
    assert len(kbs) == 3 and {"KB1234ABCD": "renamed"}.items() <= {k["knowledgeBaseId"]: k["name"] for k in kbs}.items()
    assert list(emu.lambdas()) == ["arn:aws:lambda:us-east-1:123456789012:function:f"]
    with pytest.raises(UsageError, match="10-character"):
        emu.seed_world(World(knowledge_bases=[{"id": "short"}]))
