"""``agentctl iam-policy`` and the S3 state backend: every S3 call plan, apply, eval and promote
make (against moto's S3 server) is allowed by the policy printed for that command, and the
plan role cannot write the state.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from agentctl.cli import run
from agentctl.exitcodes import ExitCode
from tests.e2e.test_iam_policy import allowed

from .test_s3_cli import EXAMPLES, clone

ACTION = {"get_object": "s3:GetObject", "put_object": "s3:PutObject",
          "delete_object": "s3:DeleteObject"}


@pytest.fixture
def project(s3, tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTCTL_EMULATOR_TIME_SCALE", "0")
    root = clone(EXAMPLES / "support-bot", tmp_path / "support-bot")
    doc = yaml.safe_load((root / "agentctl.yaml").read_text())
    doc["environments"]["local"]["backend"] = {"type": "s3", "bucket": s3.bucket,
                                               "prefix": s3.prefix, "region": s3.region}
    doc["settings"].pop("gates", None)  # promote itself, not the eval gate, is under test
    (root / "agentctl.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return root


@pytest.fixture
def s3_calls(monkeypatch):
    from agentctl.aws import s3state

    calls: list[tuple[str, str, str]] = []
    real = s3state.S3Store._call

    def _call(self, operation, key, **kw):
        calls.append((ACTION[operation], self.bucket, key))
        return real(self, operation, key, **kw)

    monkeypatch.setattr(s3state.S3Store, "_call", _call)
    return calls


def _cli(capsys, root: Path, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run(["-C", str(root), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def _policy(capsys, root: Path, role: str) -> dict:
    code, out, err = _cli(capsys, root, "iam-policy", "--for", role, "-o", "json")
    assert code == 0, err
    return json.loads(out)["permissionsPolicy"]


def _refused(policy: dict, calls: list[tuple[str, str, str]]) -> list[str]:
    return [f"{a} s3://{b}/{k}" for a, b, k in calls
            if not allowed(policy, a, f"arn:aws:s3:::{b}/{k}", {})]


def test_every_state_call_is_allowed_by_its_role(project, s3_calls, capsys, s3):
    root = project
    runs = [
        ("plan", ("plan",), (ExitCode.OK, ExitCode.CHANGES)),
        ("apply", ("apply", "--auto-approve"), (ExitCode.OK,)),
        ("eval", ("eval", "--agent", "support-bot", "--alias", "STAGING"), (ExitCode.OK,)),
        ("promote", ("promote", "PROD", "--agent", "support-bot", "--from", "STAGING"),
         (ExitCode.OK,)),
        ("plan", ("drift",), (ExitCode.OK,)),
    ]
    exercised = set()
    for role, args, codes in runs:
        policy = _policy(capsys, root, role)
        s3_calls.clear()
        code, _, err = _cli(capsys, root, *args)
        assert code in codes, (args, err)
        assert _refused(policy, s3_calls) == [], (args, s3_calls)
        assert all(b == s3.bucket and k.startswith(s3.prefix + "/") for _, b, k in s3_calls)
        exercised |= {a for a, _, _ in s3_calls}
    assert exercised == {"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}
    # The plan role can only read the state: apply's writes (the lock) are refused by it.
    plan_policy = _policy(capsys, root, "plan")
    s3_calls.clear()
    assert _cli(capsys, root, "apply", "--auto-approve")[0] == ExitCode.OK
    refused = _refused(plan_policy, s3_calls)
    assert refused and all(r.startswith(("s3:PutObject", "s3:DeleteObject")) for r in refused)
