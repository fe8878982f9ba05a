"""``endpoint:`` on a local environment (issue 12 item 8): the target is a served emulator with
the knowledge bases and Lambdas it was started with, so validate does not check them against
``world:`` (which agentctl only seeds into the embedded emulator) and says so in a note at the
``endpoint:`` key; ids and ARNs are still checked for form."""

from __future__ import annotations

import json

import pytest

from agentctl.cli import run
from agentctl.errors import SpecInvalid
from agentctl.spec import load_project

from .conftest import BASE, PROJECT

KB = "knowledgeBases:\n  - id: KB0000ZZZZ\n    description: Nothing in world has this id, on purpose.\n"
SERVED = PROJECT.replace("    target: local\n", "    target: local\n    endpoint: http://127.0.0.1:4599\n", 1)


def test_without_endpoint_knowledge_bases_are_checked_against_world(project):
    root = project({"agents/bot.yaml": BASE + KB})
    with pytest.raises(SpecInvalid) as info:
        load_project(root, "local")
    assert "world.unknown-knowledge-base" in {p.code for p in info.value.problems}


def test_with_endpoint_world_is_not_used_and_a_note_says_so(project):
    root = project({"agents/bot.yaml": BASE + KB}, project_file=SERVED)
    loaded = load_project(root, "local")  # valid: the served emulator decides what exists
    (note,) = [p for p in loaded.warnings if p.code == "world.not-checked"]
    assert note.severity == "note" and note.path == "environments.local.endpoint"
    assert (note.location.file, note.location.line) == ("agentctl.yaml", 7)
    assert "http://127.0.0.1:4599" in note.message
    assert "agentctl emulator serve -e local --port 4599" in note.hint
    # A note is never an error, even with --strict.
    assert load_project(root, "local", strict=True).warnings


def test_with_endpoint_ids_are_still_checked_for_form(project):
    root = project({"agents/bot.yaml": BASE + KB.replace("KB0000ZZZZ", "kb-1")}, project_file=SERVED)
    with pytest.raises(SpecInvalid) as info:
        load_project(root, "local")
    assert "schema.pattern" in {p.code for p in info.value.problems}


def test_validate_output_shows_the_note(project, capsys, monkeypatch):
    monkeypatch.delenv("AGENTCTL_ENV", raising=False)
    root = project({"agents/bot.yaml": BASE + KB}, project_file=SERVED)
    assert run(["-C", str(root), "validate"]) == 0
    out = capsys.readouterr().out
    assert "note: knowledge bases and Lambda executors are not checked" in out
    assert out.strip().endswith("valid, 1 note(s).")
    assert run(["-C", str(root), "validate", "-o", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [p["severity"] for p in doc["problems"]] == ["note"]
    assert doc["summary"] == {"errors": 0, "warnings": 0}
