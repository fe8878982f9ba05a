"""agentctl.plan.explain: what changed between two configurations, in the spec's words (pure)."""

from __future__ import annotations

from agentctl.plan.explain import (
    FieldDifference,
    changed_attributes,
    configuration_changes,
    field_changes,
)

BASE = {
    "name": "support-bot",
    "agent": {"instruction": "Help.", "foundationModel": "m1",
              "promptOverrideConfiguration": {"promptConfigurations": [
                  {"promptType": "ORCHESTRATION", "inferenceConfiguration": {"temperature": 0.0}}]}},
    "action_groups": {"OrderTools": {"description": "d", "functionSchema": {"functions": [
        {"name": "get_order_status", "parameters": {"order_id": {"type": "string"}}}]}},
                      "OrderApi": {"description": "api"}},
    "knowledge_bases": {}, "collaborators": {}, "tags": {"team": "a"},
    "aliases": {"PROD": {"name": "PROD", "track": "pinned"}},
}


def _edit(**changes):
    import copy

    doc = copy.deepcopy(BASE)
    for path, value in changes.items():
        *head, last = path.split("__")
        target = doc
        for k in head:
            target = target[k]
        if value is None:
            del target[last]
        else:
            target[last] = value
    return doc


def test_no_change_no_lines():
    assert configuration_changes({"support-bot": BASE}, {"support-bot": _edit()}) == []


def test_names_each_changed_attribute_once_in_spec_words():
    now = _edit(agent__instruction="Help more.")
    now["action_groups"]["OrderTools"]["functionSchema"]["functions"][0]["parameters"][
        "order_id"]["type"] = "integer"
    now["action_groups"]["OrderTools"]["description"] = "other"
    assert configuration_changes({"support-bot": BASE}, {"support-bot": now}) == [
        "support-bot: instruction and actionGroups[OrderTools] changed"]


def test_added_and_removed_resources_and_specs():
    now = _edit(action_groups__OrderApi=None)
    now["aliases"]["LIVE"] = {"name": "LIVE", "track": "latest"}
    lines = configuration_changes({"support-bot": BASE, "old": BASE},
                                  {"support-bot": now, "new": BASE})
    assert lines == ["new: spec added", "old: spec removed",
                     "support-bot: aliases[LIVE] added, actionGroups[OrderApi] removed"]


def test_nested_prompt_change_is_named_by_its_attribute():
    now = _edit()
    now["agent"]["promptOverrideConfiguration"]["promptConfigurations"][0][
        "inferenceConfiguration"]["temperature"] = 0.2
    assert changed_attributes(BASE, now) == {"promptOverrideConfiguration": "changed"}


def test_field_changes_give_readable_paths_and_both_values():
    now = _edit(agent__instruction="Help more.", tags__owner="me")
    now["action_groups"]["OrderApi"]["description"] = "API v2"
    assert field_changes(BASE, now) == (
        FieldDifference("actionGroups[OrderApi].description", "changed", "api", "API v2"),
        FieldDifference("instruction", "changed", "Help.", "Help more."),
        FieldDifference("tags.owner", "added", None, "me"),
    )


def test_user_data_in_keys_is_kept_verbatim():
    before = {"action_groups": {"functions[get_order_status]": {"a": 1}}}
    after = {"action_groups": {"functions[get_order_status]": {"a": 2}}}
    assert field_changes(before, after)[0].path == "actionGroups[functions[get_order_status]].a"
