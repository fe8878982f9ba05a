"""Hostile input at scale (hypothesis): whatever a spec file, a project file, a saved plan or a
command line contains, agentctl ends with a result or an ``AgentctlError`` that says where
(never another exception, which the CLI would show as "internal error ... report it as a bug").

Budget: ``max_examples`` 60 per property in CI, derandomized (the same examples every run, no
example database written); ``AGENTCTL_FULL_MATRIX=1`` raises it to 1000 with fresh randomness.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from agentctl.cli import run
from agentctl.cli.app import GLOBALS
from agentctl.errors import AgentctlError, SpecInvalid
from agentctl.exitcodes import ExitCode
from agentctl.plan import codec
from agentctl.spec import load_project
from agentctl.spec.yamlload import YamlFailure, load_text

REPO = Path(__file__).resolve().parents[2]
FULL = os.environ.get("AGENTCTL_FULL_MATRIX") == "1"
BUDGET = settings(max_examples=1000 if FULL else 60, deadline=None, derandomize=not FULL,
                  database=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                        HealthCheck.too_slow])

# JSON-like values, including the awkward ones (huge numbers, NaN-free floats, unicode, empty).
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=30), st.sampled_from(["", "${var.nope}", "$${x}", "~",
                                                           "..", "../../etc/passwd", "\t", "\x00",
                                                           "x" * 5000, "TSTALIASID", "DRAFT"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12)

# YAML-ish text: fragments that exercise the parser's corners, glued together.
FRAGMENTS = st.sampled_from([
    "name: a\n", "  - x\n", "- ", ": ", "{", "}", "[", "]", "&a ", "*a ", "!!python/object:os.system ",
    "!!binary ", "---\n", "...\n", "? ", "|\n", ">-\n", "\t", "'", '"', "#", "\n", "  ", "%YAML 1.1\n",
    "<<: *a\n", "key: value\n", "instruction: {file: ../../x}\n", "\ufeff", "\x85", "\u2028",
    "a: &x [*x]\n", "1e9999", "0x", "~\n", "null\n", "!", "@", "`",
])
YAML_TEXT = st.one_of(st.text(max_size=200),
                      st.lists(FRAGMENTS | st.text(max_size=5), max_size=30).map("".join))


pytestmark = pytest.mark.usefixtures("instant_emulator")


def _paths(value: Any, path: tuple = ()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, path + (i,))


def _replace(doc: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    doc = copy.deepcopy(doc)
    node = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return doc


def _mutations(doc: Any, max_changes: int = 3):
    """Strategy: ``doc`` with up to ``max_changes`` nodes replaced, deleted or added to."""
    paths = list(_paths(doc))

    @st.composite
    def build(draw):
        out = doc
        for _ in range(draw(st.integers(1, max_changes))):
            current = list(_paths(out))
            path = draw(st.sampled_from(current or paths))
            kind = draw(st.sampled_from(["replace", "delete", "add"]))
            if kind == "delete" and path:
                parent = out
                for part in path[:-1]:
                    parent = parent[part]
                out = copy.deepcopy(out)
                parent = out
                for part in path[:-1]:
                    parent = parent[part]
                del parent[path[-1]]
            elif kind == "add":
                node = out
                for part in path:
                    node = node[part]
                if isinstance(node, dict):
                    out = _replace(out, path, {**node, draw(st.text(max_size=10)): draw(VALUES)})
                elif isinstance(node, list):
                    out = _replace(out, path, node + [draw(VALUES)])
                else:
                    out = _replace(out, path, draw(VALUES))
            else:
                out = _replace(out, path, draw(VALUES))
        return out

    return build()


# ------------------------------------------------------------------------------- YAML loader

@BUDGET
@given(text=YAML_TEXT)
def test_yaml_loader_returns_a_value_or_located_problems(text):
    try:
        load_text(text, "agents/x.yaml")
    except YamlFailure as e:
        assert e.problems
        for p in e.problems:
            assert p.location.file == "agents/x.yaml"
            assert p.code and p.message


# ------------------------------------------------------------------ spec loader and validator

SUPPORT_BOT = REPO / "examples" / "support-bot"
AGENT_DOC = yaml.safe_load((SUPPORT_BOT / "agents" / "support-bot.yaml").read_text())
PROJECT_DOC = yaml.safe_load((SUPPORT_BOT / "agentctl.yaml").read_text())


def _project_copy(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    if not root.exists():
        shutil.copytree(SUPPORT_BOT, root, ignore=shutil.ignore_patterns(".agentctl",
                                                                         "__pycache__"))
    return root


def _located(e: AgentctlError, root: Path) -> None:
    """Every validation problem names a file of the project (and a line when it has one)."""
    if isinstance(e, SpecInvalid):
        assert e.problems
        for p in e.problems:
            assert p.location.file, p
            assert p.code and p.message, p
    else:
        assert e.what


def _dump(doc: Any) -> str:
    try:
        return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    except yaml.YAMLError:
        return json.dumps(doc, default=str)


@BUDGET
@given(doc=_mutations(AGENT_DOC))
def test_mutated_agent_spec_is_loaded_or_refused_with_located_problems(tmp_path, doc):
    root = _project_copy(tmp_path)
    (root / "agents" / "support-bot.yaml").write_text(_dump(doc), encoding="utf-8")
    try:
        load_project(root, None)
    except AgentctlError as e:
        _located(e, root)


@BUDGET
@given(doc=_mutations(PROJECT_DOC))
def test_mutated_project_file_is_loaded_or_refused_with_located_problems(tmp_path, doc):
    root = _project_copy(tmp_path)
    (root / "agentctl.yaml").write_text(_dump(doc), encoding="utf-8")
    try:
        load_project(root, None)
    except AgentctlError as e:
        _located(e, root)
    finally:
        shutil.copy(SUPPORT_BOT / "agentctl.yaml", root / "agentctl.yaml")


@BUDGET
@given(text=YAML_TEXT)
def test_garbage_agent_spec_text_is_refused_with_located_problems(tmp_path, text):
    root = _project_copy(tmp_path)
    (root / "agents" / "support-bot.yaml").write_text(text, encoding="utf-8",
                                                      errors="surrogatepass")
    try:
        load_project(root, None)
    except AgentctlError as e:
        _located(e, root)


# ------------------------------------------------------------------------- saved plan reader

_PLAN_CACHE: dict[str, Any] = {}


def _saved_plan_doc() -> dict:
    """A real saved plan of the multi-agent example (computed once per test process)."""
    if "doc" not in _PLAN_CACHE:
        import tempfile

        from agentctl.apply import lifecycle

        with tempfile.TemporaryDirectory() as d:
            root = Path(d) / "multi-agent"
            shutil.copytree(REPO / "examples" / "multi-agent", root,
                            ignore=shutil.ignore_patterns(".agentctl", "__pycache__"))
            old = os.environ.get("AGENTCTL_EMULATOR_TIME_SCALE")
            os.environ["AGENTCTL_EMULATOR_TIME_SCALE"] = "0"
            try:
                with lifecycle.opened(root, None) as ctx:
                    _PLAN_CACHE["doc"] = json.loads(codec.dumps(lifecycle.compute_plan(ctx)))
            finally:
                if old is None:
                    os.environ.pop("AGENTCTL_EMULATOR_TIME_SCALE", None)
                else:
                    os.environ["AGENTCTL_EMULATOR_TIME_SCALE"] = old
    return _PLAN_CACHE["doc"]


@BUDGET
@given(text=st.one_of(st.text(max_size=300), st.binary(max_size=300).map(
    lambda b: b.decode("utf-8", "replace"))))
def test_garbage_plan_text_is_refused_naming_the_file(text):
    with pytest.raises(AgentctlError) as ei:
        codec.loads(text, source="p.plan")
    assert ei.value.where == "p.plan"


@BUDGET
@given(data=st.data())
def test_damaged_plan_is_refused_naming_the_file(data, monkeypatch):
    doc = data.draw(_mutations(_saved_plan_doc()))
    # Skip the plan_id integrity check half of the time, so the structural checks behind it
    # (types of every field, steps, changes) meet the damage too.
    if data.draw(st.booleans()):
        monkeypatch.setattr(codec, "compute_plan_id", lambda plan: plan.plan_id)
    try:
        plan = codec.loads(json.dumps(doc), source="p.plan")
    except AgentctlError as e:
        assert e.where == "p.plan", e.message()
        return
    # Accepted: then it must be a plan agentctl can work with (rendered, re-encoded).
    from agentctl.render.human import render_plan

    render_plan(plan, color=False, show_steps=True)
    codec.dumps(plan)


# ----------------------------------------------------------------------------- command line

COMMANDS = [["validate"], ["validate", "--strict"], ["plan"], ["plan", "--steps"], ["status"],
            ["history"], ["promote"], ["rollback"], ["apply"], ["destroy"], ["adopt"],
            ["emulator", "calls"], ["emulator", "reset"], ["plan", "--detailed-exitcode"]]
OPTIONS = ["-e", "--env", "--agent", "--output", "-o", "--out", "--version", "--from", "--prune",
           "--strict", "--help", "--auto-approve", "-C", "--no-color", "--yes", "--state"]
HOSTILE = st.one_of(st.sampled_from(["", "-", "--", "local", "prod", "nope", "json", "human",
                                     "markdown", "support-bot", "PROD", "STAGING", "TSTALIASID",
                                     "0", "-1", "99999999999999999999", "1.5", "DRAFT", "..",
                                     "/", "/dev/null", "/proc/self/mem", "\u00e9\u00e8", "x" * 300,
                                     "a b", "$(rm -rf /)", "%s%n", "{}", "[]"]),
                    st.text(alphabet=st.characters(blacklist_categories=("Cs",),
                                                   blacklist_characters="\x00"), max_size=15))


@st.composite
def argv(draw):
    out: list[str] = []
    if draw(st.booleans()):
        out += ["--no-color"]
    out += draw(st.sampled_from(COMMANDS))
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.booleans()):
            out.append(draw(st.sampled_from(OPTIONS)))
        out.append(draw(HOSTILE))
    return out


KNOWN_CODES = {int(c) for c in ExitCode}


@BUDGET
@given(args=argv())
def test_any_command_line_ends_with_a_known_exit_code_and_no_traceback(tmp_path, capsys, args):
    root = _project_copy(tmp_path)
    GLOBALS.debug = False
    capsys.readouterr()
    # -C first: hostile arguments must not make agentctl act on the working directory.
    code = run(["-C", str(root), *args])
    err = capsys.readouterr().err
    assert code in KNOWN_CODES, (args, code, err)
    assert "internal error" not in err, (args, err)
    assert "Traceback" not in err, (args, err)
