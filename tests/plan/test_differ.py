"""differ: resources, actions and readable attribute paths."""

from __future__ import annotations

import copy
import dataclasses

from agentctl.core.model import Ref
from agentctl.core.normalize import canonicalize
from agentctl.plan.differ import diff_config, diff_values
from agentctl.plan.model import Action

from . import builders as B


def by_address(changes):
    return {c.address: c for c in changes}


def paths(change):
    return [(f.path, f.before, f.after) for f in change.fields]


def test_identical_configs_are_all_noop():
    cfg = canonicalize(B.config())
    changes = diff_config(cfg, cfg)
    assert {c.action for c in changes} == {Action.NOOP}
    assert [c.address for c in changes] == [
        "agent.support-bot", "agent.support-bot.action_group.OrderTools",
        "agent.support-bot.knowledge_base.KB1234ABCD", "agent.support-bot.alias.PROD",
        "agent.support-bot.alias.STAGING"]


def test_create_lists_every_resource_and_top_level_attribute():
    changes = by_address(diff_config(canonicalize(B.config()), None))
    assert {c.action for c in changes.values()} == {Action.CREATE}
    agent = changes["agent.support-bot"]
    assert [f.path for f in agent.fields] == sorted(agent.after)
    assert agent.before is None and agent.after["tags"] == {"team": "support"}


def test_delete_when_desired_is_none():
    changes = diff_config(None, canonicalize(B.config()))
    assert {c.action for c in changes} == {Action.DELETE}
    assert all(c.after is None for c in changes)


def test_agent_attribute_change_and_instruction_marked_for_text_diff():
    live = canonicalize(B.config())
    desired = canonicalize(dataclasses.replace(live, agent={**live.agent, "instruction": "x" * 50,
                                                           "description": "New."}))
    (agent,) = [c for c in diff_config(desired, live) if c.action is Action.UPDATE]
    assert agent.address == "agent.support-bot"
    assert paths(agent) == [("description", "Customer support for orders.", "New."),
                            ("instruction", B.INSTRUCTION, "x" * 50)]
    assert [f.text_diff for f in agent.fields] == [False, True]


def test_tags_are_attributes_of_the_agent():
    live = canonicalize(B.config())
    desired = dataclasses.replace(live, tags={"team": "care", "new": "1"})
    agent = diff_config(desired, live)[0]
    assert paths(agent) == [("tags.new", None, "1"), ("tags.team", "support", "care")]


def test_function_parameter_path_uses_natural_keys():
    live = canonicalize(B.config())
    group = copy.deepcopy(B.ORDER_TOOLS)
    group["functionSchema"]["functions"][0]["parameters"]["order_id"]["required"] = False
    desired = canonicalize(dataclasses.replace(live, action_groups={"OrderTools": group}))
    change = by_address(diff_config(desired, live))["agent.support-bot.action_group.OrderTools"]
    assert change.action is Action.UPDATE
    assert paths(change) == [
        # ``required: false`` is the canonical absence; the plan shows the value it means.
        ("functionSchema.functions[get_order_status].parameters.order_id.required", True, False)]


def test_function_added_by_name_not_index():
    live = canonicalize(B.config())
    group = copy.deepcopy(B.ORDER_TOOLS)
    group["functionSchema"]["functions"].insert(0, {"name": "aaa_first", "description": "New."})
    desired = canonicalize(dataclasses.replace(live, action_groups={"OrderTools": group}))
    change = by_address(diff_config(desired, live))["agent.support-bot.action_group.OrderTools"]
    # An added item shows its effective value, defaults included (what is sent).
    assert paths(change) == [("functionSchema.functions[aaa_first]", None,
                              {"name": "aaa_first", "description": "New.",
                               "requireConfirmation": "DISABLED"})]


def test_prompt_template_path_by_prompt_type():
    def with_template(text):
        return canonicalize(B.config(agent=B.agent_members(promptOverrideConfiguration={
            "promptConfigurations": [
                {"promptType": "ORCHESTRATION", "promptCreationMode": "OVERRIDDEN",
                 "basePromptTemplate": text},
                {"promptType": "POST_PROCESSING", "promptCreationMode": "OVERRIDDEN",
                 "basePromptTemplate": "same"}]})))

    change = diff_config(with_template("new\ntext"), with_template("old\ntext"))[0]
    (f,) = change.fields
    assert f.path == "promptOverrideConfiguration.promptConfigurations[ORCHESTRATION].basePromptTemplate"
    assert f.text_diff


def test_renamed_action_group_is_delete_plus_create():
    live = canonicalize(B.config())
    desired = dataclasses.replace(live, action_groups={"Orders": live.action_groups["OrderTools"]})
    changes = by_address(diff_config(desired, live))
    assert changes["agent.support-bot.action_group.OrderTools"].action is Action.DELETE
    assert changes["agent.support-bot.action_group.Orders"].action is Action.CREATE


def test_openapi_path_keys_are_bracketed():
    live = canonicalize(B.config(action_groups={"OrderApi": B.ORDER_API}))
    group = copy.deepcopy(B.ORDER_API)
    group["apiSchema"]["payload"]["paths"]["/orders/{orderId}"]["get"]["description"] = "Changed."
    desired = canonicalize(dataclasses.replace(live, action_groups={"OrderApi": group}))
    change = by_address(diff_config(desired, live))["agent.support-bot.action_group.OrderApi"]
    assert [f.path for f in change.fields] == [
        "apiSchema.payload.paths[/orders/{orderId}].get.description"]


def test_kb_description_and_alias_changes():
    live = canonicalize(B.config())
    desired = canonicalize(dataclasses.replace(
        live, knowledge_bases={"KB1234ABCD": {"description": "Changed."}},
        aliases={**live.aliases, "PROD": B.alias("PROD", description="Production",
                                                 invocation_state="REJECT_INVOCATIONS")}))
    changes = by_address(diff_config(desired, live))
    assert paths(changes["agent.support-bot.knowledge_base.KB1234ABCD"]) == [
        ("description", "HR policies.", "Changed.")]
    assert paths(changes["agent.support-bot.alias.PROD"]) == [
        ("aliasInvocationState", "ACCEPT_INVOCATIONS", "REJECT_INVOCATIONS"),
        ("description", None, "Production"),
        ("tags", {"stage": "prod"}, None)]


def test_alias_track_is_not_compared():
    live = canonicalize(B.config())
    desired = dataclasses.replace(live, aliases={k: dataclasses.replace(a, track="latest")
                                                 for k, a in live.aliases.items()})
    assert {c.action for c in diff_config(desired, live)} == {Action.NOOP}


def test_refs_stay_refs_in_changes():
    desired = canonicalize(B.config(collaborators={"billing": {
        "agentDescriptor": {"aliasArn": Ref("agent.billing.alias.PROD", "agentAliasArn")},
        "collaborationInstruction": "Billing."}}))
    change = by_address(diff_config(desired, None))["agent.support-bot.collaborator.billing"]
    # One in-memory form: the change holds the Ref itself (the codec writes its JSON form).
    assert change.after["agentDescriptor"]["aliasArn"] == Ref("agent.billing.alias.PROD", "agentAliasArn")


def test_multiline_strings_are_text_diffs_and_lists_whole():
    (f,) = diff_values({"a": "x\ny"}, {"a": "x\nz"})
    assert f.text_diff
    (g,) = diff_values({"l": [1, 2]}, {"l": [2, 1]})
    assert (g.path, g.before, g.after, g.text_diff) == ("l", [1, 2], [2, 1], False)


# ---- lists of objects (issue 12 item 5) -----------------------------------------------------

def _param(name, where="query", **kw):
    return {"name": name, "in": where, "schema": {"type": "string"}, **kw}


def test_openapi_parameter_change_is_one_field_named_by_the_parameter():
    before = {"get": {"parameters": [_param("a"), _param("b", description="Old.")]}}
    after = {"get": {"parameters": [_param("a"), _param("b", description="New.")]}}
    assert [(f.path, f.before, f.after) for f in diff_values(before, after)] == [
        ("get.parameters[b].description", "Old.", "New.")]


def test_openapi_parameters_sharing_a_name_are_keyed_by_location_and_name():
    before = {"parameters": [_param("id", "path"), _param("id", "query", description="x")]}
    after = {"parameters": [_param("id", "path"), _param("id", "query", description="y")]}
    assert [f.path for f in diff_values(before, after)] == ["parameters[query id].description"]


def test_unkeyed_lists_of_objects_compare_item_by_item_when_the_length_is_kept():
    before = {"allOf": [{"type": "object"}, {"required": ["a"]}]}
    after = {"allOf": [{"type": "object"}, {"required": ["a", "b"]}]}
    assert [(f.path, f.before, f.after) for f in diff_values(before, after)] == [
        ("allOf[1].required", ["a"], ["a", "b"])]
    grown = {"allOf": [{"type": "object"}, {"required": ["a"]}, {"title": "t"}]}
    (f,) = diff_values(before, grown)
    assert f.path == "allOf" and f.after == grown["allOf"]
