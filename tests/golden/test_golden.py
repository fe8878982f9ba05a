"""Golden plan outputs. Each ``tests/golden/<case>/`` holds the inputs in the shapes agentctl
really reads (``service.py``): ``desired/`` (a project: ``agentctl.yaml`` and ``agents/*.yaml``,
loaded by the real spec loader), ``live.json`` (what the bedrock-agent read operations return,
read back and normalized by the real live reader), optionally ``options.json`` (build_plan keyword
arguments); and the expected renderings: ``expected.txt`` (human, colour off),
``expected-steps.txt`` (human with ``--steps``), ``expected.md`` (``--output markdown``) and
``expected.json`` (``--output json``).

``pytest --update-golden`` rewrites the expected files so reviewers read output changes as diffs;
``python -m golden.make_cases`` (from ``tests/``) rewrites the inputs.
"""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import pytest

from agentctl.plan.planner import build_plan
from agentctl.render.human import render_plan
from agentctl.render.json import plan_to_document
from agentctl.render.markdown import render_markdown

from .service import load_inputs, write_inputs

HERE = Path(__file__).parent
CASES = sorted(p.name for p in HERE.iterdir() if p.is_dir() and (p / "live.json").exists())


def renderings(case: str) -> dict[str, str]:
    desired, live, options = load_inputs(HERE / case)
    plan = build_plan(desired, live, project="support", environment="local", **options)
    return {
        "expected.txt": render_plan(plan, color=False),
        "expected-steps.txt": render_plan(plan, color=False, show_steps=True),
        "expected.md": render_markdown(plan),
        "expected.json": json.dumps(plan_to_document(plan), indent=2, sort_keys=True,
                                    ensure_ascii=False) + "\n",
    }


def test_there_are_enough_cases():
    assert len(CASES) >= 15


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, update_golden: bool) -> None:
    directory = HERE / case
    for name, text in renderings(case).items():
        if update_golden:
            (directory / name).write_text(text, encoding="utf-8")
        else:
            assert text == (directory / name).read_text("utf-8"), name


@pytest.mark.parametrize("case", CASES)
def test_golden_inputs_are_what_make_cases_writes(case: str, tmp_path: Path) -> None:
    """No hand-edited drift: the case's files are exactly what its ``make_cases`` function
    produces."""
    from .make_cases import CASES as MAKERS

    desired, live, options = MAKERS[case]()
    write_inputs(tmp_path, desired, live, options)
    directory = HERE / case
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    present = sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*")
                     if p.is_file() and not p.name.startswith("expected") and "__pycache__" not in p.parts)
    assert written == present
    for rel in written:
        assert filecmp.cmp(tmp_path / rel, directory / rel, shallow=False), rel


@pytest.mark.parametrize("case", CASES)
def test_rendering_without_the_console_is_what_the_console_writes(case: str) -> None:
    """``render_plan`` writes the styled lines itself (issue 13: speed); the characters, with
    colour and without, are exactly what rich's console prints for ``plan_text``."""
    import io

    from agentctl.render import palette
    from agentctl.render.human import plan_text

    desired, live, options = load_inputs(HERE / case)
    plan = build_plan(desired, live, project="support", environment="local", **options)
    for steps in (False, True):
        for color in (False, True):
            buf = io.StringIO()
            palette.make_console(buf, color=color, width=palette.WIDE).print(
                plan_text(plan, show_steps=steps))
            expected = "".join(palette._TRAILING.sub(r"\1", line) + "\n"
                               for line in buf.getvalue().splitlines())
            assert render_plan(plan, color=color, show_steps=steps) == expected
