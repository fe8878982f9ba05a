"""``backend: s3`` end to end through the CLI, against moto's S3 server (and real S3 with the
``aws`` marker): two clones of a project share the lock and the record of applied plans, so a
saved plan applied from one clone is refused as already applied in the other; a held lock makes
a second command fail with LOCK_TIMEOUT naming the holder, and ``force-unlock`` releases it.
The target is the local emulator, its database shared by both clones (one target, two
checkouts, as two CI runners against one account).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from agentctl.cli import run
from agentctl.exitcodes import ExitCode

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def clone(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".agentctl", "__pycache__"))
    return dest


@pytest.fixture
def clones(s3, tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTCTL_EMULATOR_TIME_SCALE", "0")
    base = clone(EXAMPLES / "support-bot", tmp_path / "base")
    doc = yaml.safe_load((base / "agentctl.yaml").read_text())
    local = doc["environments"]["local"]
    local["state"] = str(tmp_path / "shared-target.db")  # one target for both clones
    local["backend"] = {"type": "s3", "bucket": s3.bucket, "prefix": s3.prefix,
                        "region": s3.region}
    (base / "agentctl.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return clone(base, tmp_path / "clone-a"), clone(base, tmp_path / "clone-b")


def cli(capsys, root: Path, *args: str):
    capsys.readouterr()
    code = run(["-C", str(root), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_saved_plan_applied_in_one_clone_is_refused_in_another(clones, capsys, tmp_path):
    a, b = clones
    planfile = tmp_path / "change.plan"
    code, _, err = cli(capsys, a, "plan", "--out", str(planfile))
    assert code == 0, err
    code, _, err = cli(capsys, a, "apply", str(planfile))
    assert code == 0, err
    assert not (b / ".agentctl" / "applied-plans").exists()
    code, _, err = cli(capsys, b, "apply", str(planfile))
    assert code == ExitCode.STALE_PLAN, err
    assert "was already applied" in err
    # The record is the shared one, not a file of either clone.
    assert not (a / ".agentctl" / "applied-plans").exists()


def test_a_held_lock_stops_the_other_clone_until_force_unlocked(clones, capsys):
    a, b = clones
    from agentctl.apply.state import backend_of
    from agentctl.spec import load_project

    state = backend_of(load_project(a))
    held = state.lock("agentctl apply", timeout=0)
    info = held.__enter__()  # a runner that died holding the lock
    code, _, err = cli(capsys, b, "apply", "--auto-approve", "--lock-timeout", "0s")
    assert code == ExitCode.LOCK_TIMEOUT, err
    assert info.id in err and f"agentctl force-unlock {info.id}" in err
    code, out, err = cli(capsys, b, "force-unlock", "not-the-id", "--yes")
    assert code == ExitCode.USAGE and info.id in err
    code, out, err = cli(capsys, b, "force-unlock", info.id, "--yes")
    assert code == 0, err
    assert f"Released lock {info.id}" in out
    code, _, err = cli(capsys, b, "apply", "--auto-approve", "--lock-timeout", "5s")
    assert code == 0, err


def test_force_unlock_of_a_local_backend_explains_there_is_nothing_to_force(tmp_path, capsys):
    root = clone(EXAMPLES / "support-bot", tmp_path / "p")
    code, _, err = cli(capsys, root, "force-unlock", "some-id", "--yes")
    assert code == ExitCode.USAGE
    assert "released when the process holding it exits" in err


@pytest.mark.parametrize("value", ["-1", "soon", "nan"])
def test_a_bad_lock_timeout_is_a_usage_error(tmp_path, capsys, value):
    root = clone(EXAMPLES / "support-bot", tmp_path / "p")
    code, _, err = cli(capsys, root, "apply", "--auto-approve", "--lock-timeout", value)
    assert code == ExitCode.USAGE
    assert "--lock-timeout must be a number of seconds" in err
