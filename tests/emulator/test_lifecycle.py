"""Asynchronous statuses on an injected clock, and the refusals that depend on them (§2, §3):
exact timings and the emulator's switches. Behaviour the conformance suite checks
(tests/conformance/test_agent_lifecycle.py) is not repeated here."""

from __future__ import annotations

from agentctl.emulator import Durations, EmulatorConfig
from agentctl.emulator.store import Store

from .conftest import (FUNCTIONS, INSTRUCTION, MODEL, NO_RETRIES, ROLE, error_of, make_emulator,
                       new_agent, prepared_agent, status)


def test_create_is_creating_until_its_duration_passes_then_not_prepared(client, clock) -> None:
    agent = client.create_agent(agentName="a1", instruction=INSTRUCTION, foundationModel=MODEL,
                                agentResourceRoleArn=ROLE)["agent"]
    assert agent["agentStatus"] == "CREATING"
    clock.advance(0.29)
    assert status(client, agent["agentId"]) == "CREATING"
    clock.advance(0.02)
    assert status(client, agent["agentId"]) == "NOT_PREPARED"


def test_time_scale_stretches_every_duration(tmp_path, clock) -> None:
    emu = make_emulator(tmp_path / "s.db", clock, EmulatorConfig(time_scale=10))
    client = emu.client(config=NO_RETRIES)
    agent_id = client.create_agent(agentName="a1")["agent"]["agentId"]
    clock.advance(2.9)
    assert status(client, agent_id) == "CREATING"
    clock.advance(0.2)
    assert status(client, agent_id) == "NOT_PREPARED"
    emu.close()


def test_prepare_goes_preparing_then_prepared_with_prepared_at(client, clock) -> None:
    agent_id = new_agent(client, clock)
    r = client.prepare_agent(agentId=agent_id)
    assert (r["agentStatus"], r["agentVersion"]) == ("PREPARING", "DRAFT")
    assert status(client, agent_id) == "PREPARING"
    clock.advance(0.5)
    agent = client.get_agent(agentId=agent_id)["agent"]
    assert agent["agentStatus"] == "PREPARED"
    assert agent["preparedAt"].timestamp() == r["preparedAt"].timestamp() + 0.5
    assert "failureReasons" not in agent


def test_prepare_without_role_and_model_fails_with_marked_invented_reasons(client, clock) -> None:
    agent_id = client.create_agent(agentName="bare", instruction=INSTRUCTION)["agent"]["agentId"]
    clock.advance(1)
    client.prepare_agent(agentId=agent_id)
    clock.advance(1)
    reasons = client.get_agent(agentId=agent_id)["agent"]["failureReasons"]
    assert len(reasons) == 2 and all(r.startswith("[emulator: invented text]") for r in reasons)


def test_failed_prepare_is_recoverable_by_update_and_prepare(client, clock) -> None:
    agent_id = client.create_agent(agentName="fixme", foundationModel=MODEL,
                                   agentResourceRoleArn=ROLE)["agent"]["agentId"]
    clock.advance(1)
    client.prepare_agent(agentId=agent_id)
    clock.advance(1)
    client.update_agent(agentId=agent_id, agentName="fixme", foundationModel=MODEL,
                        agentResourceRoleArn=ROLE, instruction=INSTRUCTION)
    clock.advance(1)
    agent = client.get_agent(agentId=agent_id)["agent"]
    assert agent["agentStatus"] == "NOT_PREPARED" and "failureReasons" not in agent
    client.prepare_agent(agentId=agent_id)
    clock.advance(1)
    agent = client.get_agent(agentId=agent_id)["agent"]
    assert agent["agentStatus"] == "PREPARED" and "failureReasons" not in agent


def test_duplicate_name_is_created_then_failed(client, clock) -> None:
    first = new_agent(client, clock, "dup")
    second = client.create_agent(agentName="dup")["agent"]
    assert second["agentStatus"] == "CREATING" and second["agentId"] != first
    clock.advance(1)
    agent = client.get_agent(agentId=second["agentId"])["agent"]
    assert agent["agentStatus"] == "FAILED"
    assert agent["failureReasons"] == ["Cannot create a new agent as an agent with the same name already exists."]
    assert status(client, first) == "NOT_PREPARED"
    code, msg, _ = error_of(client.prepare_agent, agentId=second["agentId"])
    assert code == "ValidationException" and "Failed state" in msg


def test_duplicate_name_conflict_switch(tmp_path, clock) -> None:
    emu = make_emulator(tmp_path / "s.db", clock, EmulatorConfig(duplicate_agent_name="conflict"))
    client = emu.client(config=NO_RETRIES)
    new_agent(client, clock, "dup")
    code, _, http = error_of(client.create_agent, agentName="dup")
    assert (code, http) == ("ConflictException", 409)
    emu.close()


def test_update_goes_updating_then_not_prepared_by_default(client, clock) -> None:
    agent_id = prepared_agent(client, clock)
    r = client.update_agent(agentId=agent_id, agentName="support-bot", foundationModel=MODEL,
                            agentResourceRoleArn=ROLE, instruction=INSTRUCTION)
    assert r["agent"]["agentStatus"] == "UPDATING"
    clock.advance(1)
    assert status(client, agent_id) == "NOT_PREPARED"


def test_update_settles_to_prepared_switch(tmp_path, clock) -> None:
    emu = make_emulator(tmp_path / "s.db", clock, EmulatorConfig(update_settles_to="PREPARED"))
    client = emu.client(config=NO_RETRIES)
    agent_id = new_agent(client, clock)
    client.update_agent(agentId=agent_id, agentName="support-bot", foundationModel=MODEL,
                        agentResourceRoleArn=ROLE, instruction=INSTRUCTION)
    clock.advance(1)
    assert status(client, agent_id) == "PREPARED"
    emu.close()


def test_refusals_while_preparing_use_the_aws_wording(client, clock) -> None:
    agent_id = new_agent(client, clock)
    client.prepare_agent(agentId=agent_id)
    code, msg, http = error_of(client.prepare_agent, agentId=agent_id)
    assert (code, http) == ("ValidationException", 400)
    assert msg == ("Prepare operation can't be performed on Agent when it is in Preparing state. "
                   "Retry the request when the agent is in a valid state.")
    code, msg, _ = error_of(client.update_agent, agentId=agent_id, agentName="support-bot",
                            foundationModel=MODEL, agentResourceRoleArn=ROLE)
    assert code == "ValidationException" and msg.startswith("Update operation can't be performed on Agent "
                                                            "when it is in Preparing state.")
    code, msg, _ = error_of(client.create_agent_action_group, agentId=agent_id, agentVersion="DRAFT",
                            actionGroupName="g", functionSchema=FUNCTIONS,
                            actionGroupExecutor={"customControl": "RETURN_CONTROL"})
    assert "Create operation can't be performed on Agent when it is in Preparing state." in msg
    code, msg, _ = error_of(client.delete_agent, agentId=agent_id)
    assert "Delete operation can't be performed on Agent when it is in Preparing state." in msg


def test_transitional_state_error_switch(tmp_path, clock) -> None:
    emu = make_emulator(tmp_path / "s.db", clock, EmulatorConfig(transitional_state_error="ConflictException"))
    client = emu.client(config=NO_RETRIES)
    agent_id = new_agent(client, clock)
    client.prepare_agent(agentId=agent_id)
    assert error_of(client.update_agent, agentId=agent_id, agentName="support-bot", foundationModel=MODEL,
                    agentResourceRoleArn=ROLE)[0] == "ConflictException"
    assert error_of(client.prepare_agent, agentId=agent_id)[0] == "ValidationException"  # observed class
    emu.close()


def test_subresource_edit_unprepares_the_draft(client, clock) -> None:
    agent_id = prepared_agent(client, clock)
    client.create_agent_action_group(agentId=agent_id, agentVersion="DRAFT", actionGroupName="g",
                                     functionSchema=FUNCTIONS, actionGroupExecutor={"customControl": "RETURN_CONTROL"})
    assert status(client, agent_id) == "NOT_PREPARED"


def test_subresource_edit_unprepares_switch_off(tmp_path, clock) -> None:
    emu = make_emulator(tmp_path / "s.db", clock, EmulatorConfig(subresource_edit_unprepares=False))
    client = emu.client(config=NO_RETRIES)
    agent_id = prepared_agent(client, clock)
    client.associate_agent_knowledge_base(agentId=agent_id, agentVersion="DRAFT", knowledgeBaseId="KB1234ABCD",
                                          description="HR")
    assert status(client, agent_id) == "PREPARED"
    emu.close()


def test_alias_cuts_a_version_agent_versioning_then_prepared(client, clock) -> None:
    agent_id = prepared_agent(client, clock)
    alias = client.create_agent_alias(agentId=agent_id, agentAliasName="PROD")["agentAlias"]
    assert alias["agentAliasStatus"] == "CREATING"
    assert alias["routingConfiguration"] == [{"agentVersion": "1"}]
    assert status(client, agent_id) == "VERSIONING"
    code, msg, _ = error_of(client.prepare_agent, agentId=agent_id)
    assert msg.startswith("Prepare operation can't be performed on Agent when it is in Versioning state.")
    clock.advance(0.3)
    assert status(client, agent_id) == "PREPARED"
    got = client.get_agent_alias(agentId=agent_id, agentAliasId=alias["agentAliasId"])["agentAlias"]
    assert got["agentAliasStatus"] == "PREPARED"


def test_delete_agent_goes_deleting_then_gone(client, clock) -> None:
    agent_id = new_agent(client, clock)
    r = client.delete_agent(agentId=agent_id)
    assert r["agentStatus"] == "DELETING"
    assert status(client, agent_id) == "DELETING"
    assert [a["agentStatus"] for a in client.list_agents()["agentSummaries"]] == ["DELETING"]
    clock.advance(1)
    code, _, http = error_of(client.get_agent, agentId=agent_id)
    assert (code, http) == ("ResourceNotFoundException", 404)
    assert client.list_agents()["agentSummaries"] == []


def test_agent_purge_wins_over_a_child_transition_due_in_the_same_settle(tmp_path, clock) -> None:
    cfg = EmulatorConfig(durations=Durations(alias=5, version=0.1, delete=0.1))
    emu = make_emulator(tmp_path / "s.db", clock, cfg)
    client = emu.client(config=NO_RETRIES)
    agent_id = prepared_agent(client, clock)
    client.create_agent_alias(agentId=agent_id, agentAliasName="PROD")   # alias CREATING for 5 s
    clock.advance(0.2)                                                     # agent back to PREPARED
    client.delete_agent(agentId=agent_id, skipResourceInUseCheck=True)    # gone in 0.1 s
    clock.advance(10)                                                      # both transitions due now
    client.list_agents()
    # Read the state file itself (an orphan alias row is invisible through the API, which looks
    # the agent up first).
    store = Store(emu.state_path)
    with store.transaction() as tx:
        assert tx.rows("alias", agent=agent_id) == [] and tx.get("agent", agent_id, "DRAFT", "") is None
    store.close()
    emu.close()
