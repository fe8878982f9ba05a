"""Renderers: human (plain and colour), JSON document, Markdown."""

from __future__ import annotations

import dataclasses
import json

from agentctl.plan.model import Action, FieldChange, ResourceChange
from agentctl.plan.planner import build_plan
from agentctl.render.human import render_plan
from agentctl.render.json import plan_to_document
from agentctl.render.markdown import render_markdown

from . import builders as B


def plan_for(desired, live, **kw):
    return build_plan({desired.name: desired}, live, project="support", environment="local", **kw)


def changed_plan():
    desired = dataclasses.replace(B.config(), agent={
        **B.agent_members(), "instruction": B.INSTRUCTION + "\nNever guess.",
        "foundationModel": "anthropic.claude-3-haiku-20240307-v1:0"})
    return plan_for(desired, B.state(B.live_agent()))


def test_human_no_changes():
    text = render_plan(plan_for(B.config(), B.state(B.live_agent())), color=False)
    assert "No changes. Live agents match the specs." in text
    assert "Plan:" not in text


def test_human_plain_has_no_escape_codes_and_colour_has():
    plan = changed_plan()
    plain = render_plan(plan, color=False)
    assert "\x1b[" not in plain
    assert "\x1b[" in render_plan(plan, color=True)


def test_human_terraform_idiom():
    text = render_plan(changed_plan(), color=False)
    assert "  # agent.support-bot will be updated in-place" in text
    assert '~ foundationModel = "anthropic.claude-3-5-sonnet-20241022-v2:0" -> ' \
           '"anthropic.claude-3-haiku-20240307-v1:0"' in text
    assert "~ instruction     = <<-EOT" in text and "+ Never guess." in text
    assert "# (4 unchanged attributes hidden)" in text
    assert '~ agentVersion = "3" -> (known after apply)' in text
    assert "Plan: 0 to add, 2 to change, 0 to destroy." in text
    assert "support-bot: prepare DRAFT; cut version 4; STAGING 3 -> 4; PROD stays on 2" in text


def test_human_sensitive_value_hidden():
    plan = changed_plan()
    secret = ResourceChange("agent.support-bot", "agent", Action.UPDATE, {"k": "a"}, {"k": "b"},
                            (FieldChange("k", "a", "b", sensitive=True),))
    text = render_plan(dataclasses.replace(plan, changes=(secret,)), color=False)
    assert "~ k = (sensitive value) -> (sensitive value)" in text
    assert '"a"' not in text


def test_human_notes_for_unmanaged_removed_agent():
    old = B.live_agent(B.config("old-bot"), agent_id="OLDAGENT01")
    text = render_plan(plan_for(B.config(), B.state(B.live_agent(), old)), color=False)
    assert "No changes." in text and "agent.old-bot exists on the target" in text


def test_json_document_shape():
    plan = changed_plan()
    doc = plan_to_document(plan)
    json.dumps(doc)  # JSON-compatible
    assert doc["format_version"] == 1 and doc["plan_id"] == plan.plan_id
    rc = {r["address"]: r for r in doc["resource_changes"]}
    agent = rc["agent.support-bot"]
    assert (agent["type"], agent["name"], agent["change"]["actions"]) == ("agent", "support-bot", ["update"])
    assert rc["agent.support-bot.action_group.OrderTools"]["change"]["actions"] == ["no-op"]
    assert doc["summary"] == {"add": 0, "change": 2, "destroy": 0, "unchanged": 3, "steps": 3,
                              "mutating_steps": 3, "has_changes": True}
    assert [s["operation"] for s in doc["steps"]] == ["UpdateAgent", "PrepareAgent", "UpdateAgentAlias"]
    assert doc["lifecycle"][0]["summary"].startswith("support-bot: prepare DRAFT")


def test_markdown():
    md = render_markdown(changed_plan())
    assert "| `~` | `agent.support-bot` | update |" in md
    assert "<details>" in md and "```diff" in md
    assert "- foundationModel = " in md and "+ foundationModel = " in md
    assert "@@ instruction -1 +1,2 @@" in md and "+ Never guess." in md
    assert "**Plan: 0 to add, 2 to change, 0 to destroy.**" in md


def test_markdown_fence_survives_backticks():
    desired = dataclasses.replace(B.config(), agent={**B.agent_members(),
                                                     "instruction": B.INSTRUCTION + "\n```code```"})
    md = render_markdown(plan_for(desired, B.state(B.live_agent())))
    assert "````diff" in md
    # The block closes with the same longer fence, and the text's own ``` stays inside it.
    block = md.split("````diff\n", 1)[1].split("\n````\n", 1)
    assert len(block) == 2 and "```code```" in block[0]


def test_nested_values_with_text_are_yaml_blocks():
    desired = B.config(agent=B.agent_members(promptOverrideConfiguration={"promptConfigurations": [
        {"promptType": "ORCHESTRATION", "promptCreationMode": "OVERRIDDEN",
         "basePromptTemplate": "line one\nline two"}]}))
    text = render_plan(plan_for(desired, B.state()), color=False)
    assert "+ promptOverrideConfiguration =\n" in text
    assert ("          - basePromptTemplate: |-\n              line one\n              line two\n"
            in text)


def test_markdown_no_changes():
    assert "**No changes.**" in render_markdown(plan_for(B.config(), B.state(B.live_agent())))


def test_human_steps_list_every_mutating_call_in_order():
    plan = changed_plan()
    text = render_plan(plan, color=False, show_steps=True)
    section = text.split("API calls, in order")[1].splitlines()[1:]
    calls = [line.split()[1] for line in section if line.strip()]
    assert calls == [s.operation for s in plan.steps if s.mutating]
    assert calls[:2] == ["UpdateAgent", "PrepareAgent"]
    assert "(then wait for agent:PREPARED)" in text
    assert [line for line in section if "(cuts a new version)" in line] == \
        [line for line in section if "UpdateAgentAlias" in line and "STAGING" in line]
    assert "API calls" not in render_plan(plan, color=False)


def test_an_inline_structured_value_is_always_json_whatever_its_length():
    # issue 12 item 5: a long executor printed as ``lambda: arn:...`` (a one-line YAML dump),
    # a short one as ``{"lambda": "..."}``.
    from agentctl.render._text import format_value

    long_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + "x" * 40
    short, long = format_value({"lambda": "arn:f"}), format_value({"lambda": long_arn})
    assert short == '{"lambda": "arn:f"}'
    assert long == '{"lambda": "%s"}' % long_arn
    nested = format_value({"a": {"b": "x" * 80}})
    assert "\n" in nested and nested.startswith("a:")  # a real block stays YAML


# --- palette.to_text's shortcut for Text (issue 13: render of a 200-agent plan) -------------

import io  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from rich.text import Text  # noqa: E402

from agentctl.render import palette  # noqa: E402
from agentctl.render.human import plan_text  # noqa: E402


def _through_console(renderable, color):
    """What to_text returned before the shortcut: the console renders, then the same strip."""
    buf = io.StringIO()
    palette.make_console(buf, color=color, width=palette.WIDE).print(renderable)
    return "".join(palette._TRAILING.sub(r"\1", line) + "\n"
                   for line in buf.getvalue().splitlines())


def test_to_text_shortcut_matches_the_console_on_plans():
    plan = changed_plan()
    for steps in (False, True):
        t = plan_text(plan, show_steps=steps)
        for color in (False, True):
            assert palette.to_text(t, color=color) == _through_console(t, color)


_hostile = st.text(alphabet=st.sampled_from(
    list("ab {}[]\n\t\r\x1b\x07\x1c\x85\u2028 é✓") + ["\U0001f600"]), max_size=30)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_hostile, st.sampled_from(["", "add", "remove", "note", "bold"])),
                max_size=8),
       st.booleans(), st.sampled_from(["", "ok"]))
def test_to_text_shortcut_matches_the_console_on_any_text(pieces, color, base):
    t = Text("\n").join(Text(s, style=style) for s, style in pieces)
    t.stylize("change", 0, 3)  # a span that may cross a line break: the console path then
    t.style = base
    for color_ in (color, not color):
        assert palette.to_text(t, color=color_) == _through_console(t, color_)


# --- render/_text.yaml_block: libyaml's emitter where it writes what PyYAML's does ----------

import yaml  # noqa: E402

from agentctl.render import _text  # noqa: E402

_yaml_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=60) | st.text(
    alphabet=st.sampled_from(list("ab :#-'\"\n\t {}[]|>&*!%@`,?é✓\u2028\x85\ufeff\xa0\u3000~=")
                             + ["\U0001f600"]), max_size=60)
_yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _yaml_text,
    lambda c: st.lists(c, max_size=4) | st.dictionaries(_yaml_text, c, max_size=4),
    max_leaves=12).filter(lambda v: isinstance(v, (dict, list)))


@settings(max_examples=400, deadline=None)
@given(_yaml_values)
def test_yaml_block_is_what_the_python_dumper_writes(value):
    expected = yaml.dump(value, Dumper=_text._Dumper, sort_keys=True, default_flow_style=False,
                         allow_unicode=True, width=100).rstrip("\n")
    assert _text.yaml_block(value) == expected


def test_yaml_block_uses_libyaml_for_plan_values():
    # The shortcut is taken for ordinary plan values (else the benchmark's figure is not this
    # code's); where either dumper ends a keep-block with "...", PyYAML's text is the one.
    assert _text._CDumper is not None
    assert _text._c_safe({"a": ["x", 1, None, 2.5, True], "b": {"c": "line\nline"}})
    assert not _text._c_safe({"": 1}) and not _text._c_safe(["\U0001f600"])
    assert _text.yaml_block(["\n"]) == "- |2+\n\n..."
    assert _text.yaml_block([[[], {"\n": True}]]) == "- - []\n  - ? |2+\n\n    : true"


@settings(max_examples=300, deadline=None)
@given(_yaml_values)
def test_the_json_text_check_never_admits_what_the_value_check_refuses(value):
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if _text._json_c_safe(text):
        assert _text._c_safe(value)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", " ", "\t", "\u3000", "\x1b[0m", "\x1b[1;31m", "\x1b[",
                                 "m", "[0m", "\xa0", "x y"]), max_size=10).map("".join))
def test_strip_end_is_the_trailing_regex(line):
    assert palette._strip_end(line) == palette._TRAILING.sub(r"\1", line)


# --- render/_text._block_fast: the YAML blocks of printable ASCII, written directly ----------

_ascii_word = st.text(alphabet=st.sampled_from(list(" -?:#,[]{}&*!|>'\"%@`.~=<+_/") + list(
    "0123456789abeEnNoOtTfFyYx")), max_size=10) | st.sampled_from(
    ["", "---", "...", "- a", "a: b", "a:", "a #b", "a#b", "1.0", "200", "yes", "No", "null", "~",
     "<<", "=", "2001-12-14", "0x1F", "1_000", ".inf", "-", "?", ":", "-x", "?x", ":x"])
_ascii_long = st.lists(st.sampled_from(["word", "a", "longerword", "x" * 30, " ", "'", ":"]),
                       max_size=40).map(" ".join)
_ascii_lines = st.lists(st.text(alphabet=st.sampled_from(list("ab {}:#' -")), max_size=15),
                        min_size=2, max_size=5).map("\n".join)
_fast_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _ascii_word | _ascii_long
    | _ascii_lines | _ascii_lines.map(lambda s: s + "\n") | _ascii_lines.map(lambda s: s + "\n\n"),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(_ascii_word | _ascii_long, c, max_size=4),
    max_leaves=25).filter(lambda v: isinstance(v, (dict, list)) and v)


def _libyaml(value):
    return yaml.serialize(_text._node(value), Dumper=_text._CDumper, allow_unicode=True,
                          width=100).rstrip("\n")


@settings(max_examples=600, deadline=None)
@given(_fast_values)
def test_fast_yaml_blocks_are_what_both_dumpers_write(value):
    fast = _text._block_fast(value)
    if fast is not None:
        assert fast == yaml.dump(value, Dumper=_text._Dumper, sort_keys=True,
                                 default_flow_style=False, allow_unicode=True,
                                 width=100).rstrip("\n")
        assert fast == _libyaml(value)


def test_fast_yaml_blocks_cover_plan_values_and_refuse_the_rest():
    # Taken for what plans hold (else the benchmark's figure is not this code's) ...
    doc = {"openapi": "3.0.0", "info": {"title": "Order Tools", "version": "1.0"},
           "paths": {"/orders/{order_id}": {"get": {"parameters": [
               {"in": "path", "name": "order_id", "required": True, "schema": {"type": "string"}}],
               "responses": {"200": {"description": "The order: status, carrier, e.g. #1."}}}}},
           "x": [[], {}, None, 2.5, -3, "", "yes", "- a", "a: b", "---", "it's"],
           "t": "line one\n  indented\n\nlast\n", "u": "no final newline\nhere"}
    assert _text._block_fast(doc) == _libyaml(doc)
    assert "version: '1.0'" in _text._block_fast(doc) and "'200':" in _text._block_fast(doc)
    # ... and None for what it does not decide like the emitters (they write those).
    for value in ({"a": "é"}, {"a": "tab\there"}, {"k" * 121: 1}, {"": 1}, {1: "a"},
                  {"a": "x " * 60}, {"a": " lead\nx"}, {"a": "x \ny"}, {"a": "x\n\n"},
                  ["\U0001f600"]):
        assert _text._block_fast(value) is None, value
        assert _text.yaml_block(value) == yaml.dump(
            value, Dumper=_text._Dumper, sort_keys=True, default_flow_style=False,
            allow_unicode=True, width=100).rstrip("\n")
    for value in ({"a": ("tuple",)}, {"a": _Str("s")}, {_Str("k"): 1}, [_Str("s")]):
        assert _text._block_fast(value) is None, value


class _Str(str):
    pass


def test_fast_yaml_blocks_fold_long_lines_where_libyaml_does():
    # Every column around the width (100) for the last space, plain and quoted, as a mapping
    # value (after keys of several lengths, nested) and as a sequence item.
    taken = 0
    for key in ("k", "key", "a_longer_key"):
        for n in range(80, 104):
            for word in ("a" * n + " b", "'" + "a" * n + " b", "a" * n + " b c", "yes"):
                for value in ({key: word}, {"x": {key: word}}, [word], {"x": [[word]]}):
                    fast = _text._block_fast(value)
                    taken += fast is not None
                    assert fast is None or fast == _libyaml(value), (value, fast)
    assert taken > 300
