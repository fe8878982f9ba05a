"""``agentctl.spec.importer`` as pure functions: alias tracking, ``${var...}`` references and
escapes (checked against the real interpolation), what cannot be expressed (reported, not lost),
file layout, and ``write_files`` (no overwrite without force, atomic)."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from agentctl.errors import UsageError
from agentctl.spec import importer
from agentctl.spec.resolve import Variables, interpolate
from agentctl.spec.yamlload import PositionMap
from tests.plan.builders import config, live_agent, live_alias, version

VARS = {"orderLambda": "arn:aws:lambda:us-east-1:123456789012:function:order-tools",
        "kb": "KB1234ABCD", "ttl": 600}


def _import(live, **kw):
    kw.setdefault("spec_path", "agents/support-bot.yaml")
    return importer.import_agent(live, variables=VARS, region="us-east-1",
                                 account="123456789012", **kw)


# --- alias tracking ------------------------------------------------------------------------------

def test_tracks_come_from_the_record_when_there_is_one():
    live = live_agent()
    assert importer.alias_tracks(live, {"STAGING": "pinned", "PROD": "latest"}) == \
        ({"STAGING": "pinned", "PROD": "latest"}, [])


def test_alias_on_the_newest_version_tracks_it_when_another_does_not():
    tracks, notes = importer.alias_tracks(live_agent())  # STAGING on 3 (newest), PROD on 2
    assert tracks == {"STAGING": "latest", "PROD": "pinned"} and notes == []


def test_release_alias_means_every_alias_is_pinned():
    aliases = {"PROD": live_alias("PROD", "3"), "agentctl-release": live_alias("agentctl-release", "3")}
    tracks, notes = importer.alias_tracks(live_agent(aliases=aliases))
    assert tracks == {"PROD": "pinned"} and notes == []


def test_undecidable_routing_is_pinned_and_said():
    aliases = {"A": live_alias("A", "3"), "B": live_alias("B", "3")}
    tracks, notes = importer.alias_tracks(live_agent(aliases=aliases))
    assert tracks == {"A": "pinned", "B": "pinned"}
    assert "track: latest" in notes[0]


# --- references and escapes -------------------------------------------------------------------

@pytest.mark.parametrize("value, written", [
    (VARS["orderLambda"], "${var.orderLambda}"),
    ("KB1234ABCD", "${var.kb}"),
    ("arn:aws:iam::123456789012:role/AgentRole", "arn:aws:iam::${var.account}:role/AgentRole"),
    ("arn:aws:kms:us-east-1:123456789012:key/k", "arn:aws:kms:${var.region}:${var.account}:key/k"),
    ("arn:aws:kms:eu-west-1:999999999999:key/k", "arn:aws:kms:eu-west-1:999999999999:key/k"),
    ("KBOTHER0001", "KBOTHER0001"),
])
def test_reference(value, written):
    assert importer.reference(value, VARS, region="us-east-1", account="123456789012") == written
    # and interpolation gives the value back
    builtins = {"region": "us-east-1", "account": "123456789012"}
    assert interpolate(written, PositionMap(), Variables(var={**builtins, **VARS}), []) == value


@pytest.mark.parametrize("text", ["plain", "a ${var.x} b", "$${literal}", "$$${", "${", "$", "}${}"])
def test_escaped_values_interpolate_back_to_themselves(text):
    problems: list = []
    got = interpolate(importer._escape({"d": [text]}), PositionMap(), Variables(), problems)
    assert got == {"d": [text]} and problems == []


def test_the_spec_is_written_with_references_files_and_escapes():
    cfg = config(agent={"agentName": "support-bot", "foundationModel": "m",
                        "instruction": "Be helpful ${not.a.var}.\n",
                        "agentResourceRoleArn": "arn:aws:iam::123456789012:role/R",
                        "description": "costs ${var.x}"},
                 action_groups={"OrderTools": {
                     "actionGroupExecutor": {"lambda": VARS["orderLambda"]},
                     "apiSchema": {"payload": {"openapi": "3.0.0", "paths": {}}}}})
    got = _import(live_agent(cfg))
    doc = yaml.safe_load(got.files[0].text)
    assert doc["description"] == "costs $${var.x}"
    assert doc["role"] == "arn:aws:iam::${var.account}:role/R"
    assert doc["instruction"] == {"file": "../prompts/support-bot/instruction.md"}
    group = doc["actionGroups"][0]
    assert group["executor"] == {"lambda": "${var.orderLambda}"}
    assert group["openapi"] == {"file": "../openapi/support-bot/OrderTools.yaml"}
    files = {f.path: f.text for f in got.files}
    # included files are not interpolated: their text is written as is
    assert files["prompts/support-bot/instruction.md"] == "Be helpful ${not.a.var}.\n"
    assert yaml.safe_load(files["openapi/support-bot/OrderTools.yaml"]) == {"openapi": "3.0.0",
                                                                          "paths": {}}
    assert doc["knowledgeBases"] == [{"id": "${var.kb}", "description": "HR policies."}]


def test_an_openapi_file_a_spec_glob_would_pick_up_is_written_as_json():
    cfg = config(action_groups={"Api": {"apiSchema": {"payload": {"openapi": "3.0.0"}}}})
    got = _import(live_agent(cfg), spec_globs=["**/*.yaml"])
    assert [f.path for f in got.files][-1] == "openapi/support-bot/Api.json"


# --- nothing lost silently ---------------------------------------------------------------------

def test_what_the_spec_cannot_express_is_named():
    # memory.type is one value in a spec; two memory types cannot be written.
    cfg = config(agent={"agentName": "support-bot", "foundationModel": "m", "instruction": "i",
                        "agentResourceRoleArn": "r",
                        "memoryConfiguration": {"enabledMemoryTypes": ["SESSION_SUMMARY", "OTHER"],
                                                "storageDays": 7}})
    got = _import(live_agent(cfg))
    assert any(n.startswith("memoryConfiguration: the live value cannot be expressed")
               and "OTHER" in n for n in got.notes), got.notes


def test_a_faithful_import_has_no_such_note():
    got = _import(live_agent())
    assert not [n for n in got.notes if "cannot be expressed" in n]


def test_ownership_tags_are_not_user_tags():
    live = live_agent(owner_tags={"agentctl:managed-by": "someone"})
    got = _import(live)
    doc = yaml.safe_load(got.files[0].text)
    assert doc["tags"] == {"team": "support"}
    assert any("agentctl:managed-by=someone" in n for n in got.notes)


def test_unreleased_draft_is_said():
    live = live_agent(versions=(version("1", None), version("2", config(tags={}))))
    # version 2 holds the same content (tags are not content): no note
    assert not [n for n in _import(live).notes if "DRAFT differs" in n]
    other = dataclasses.replace(config(), knowledge_bases={})
    live = live_agent(versions=(version("1", other),))
    assert any("DRAFT differs from version 1" in n for n in _import(live).notes)


# --- layout and files -------------------------------------------------------------------------

@pytest.mark.parametrize("globs, expected", [
    (["agents/*.yaml"], "agents"), (["specs/agents/**/*.yaml"], "specs/agents"),
    (["*.yaml"], ""), (["one.yaml"], ""), ([], "")])
def test_default_spec_dir(globs, expected):
    assert importer.default_spec_dir(globs) == expected


def test_write_files_refuses_to_overwrite_before_writing_anything(tmp_path):
    (tmp_path / "b.txt").write_text("mine")
    files = [importer.OutFile("a/a.txt", "A"), importer.OutFile("b.txt", "B")]
    with pytest.raises(UsageError, match=r"exist already.*b\.txt") as e:
        importer.write_files(tmp_path, files)
    assert "--force" in (e.value.hint or "")
    assert not (tmp_path / "a").exists() and (tmp_path / "b.txt").read_text() == "mine"
    importer.write_files(tmp_path, files, force=True)
    assert (tmp_path / "a/a.txt").read_text() == "A" and (tmp_path / "b.txt").read_text() == "B"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a", "a.txt", "b.txt"]  # no temp files


def test_write_files_stays_inside_the_project(tmp_path):
    with pytest.raises(UsageError, match="outside the project directory"):
        importer.write_files(tmp_path / "p", [importer.OutFile("../x.txt", "x")])
