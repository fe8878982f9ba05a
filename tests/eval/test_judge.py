"""The judge: verdict parsing, the question it gets, configuration errors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from agentctl.eval.judge import judge_from_settings, parse_verdict


@pytest.mark.parametrize("text,passed,reason", [
    ("PASS: the date is given.", True, "the date is given."),
    ("fail - it promised a refund\nmore", False, "it promised a refund"),
    ("**PASS**", True, ""),
    ("Passing grade", False, None),
    ("", False, None),
    ("I think it is fine", False, None),
])
def test_parse_verdict(text, passed, reason):
    v = parse_verdict(text)
    assert v.passed is passed
    if reason is None:
        assert "did not answer PASS or FAIL" in v.reason
    else:
        assert v.reason == reason


def test_no_judge_configured():
    assert judge_from_settings(None, Path(".")) == (None, None)


def test_judge_asks_the_model_through_the_runtime_interface():
    pytest.importorskip("agentctl.emulator.runtime.models")
    from agentctl.eval.judge import make_judge

    @dataclass
    class Reply:
        raw: str
        answer: str | None

    class Model:
        name = "fake"

        def __init__(self):
            self.requests = []

        def orchestrate(self, request):
            self.requests.append(request)
            return Reply("x", "PASS: polite" if "polite" in request.input_text else "FAIL: rude")

    m = Model()
    judge = make_judge(m)
    assert judge("The answer is polite.", "USER: hi\nAGENT: hello").passed
    assert not judge("The answer is short.", "USER: hi\nAGENT: hello").passed
    req = m.requests[0]
    assert "Criterion: The answer is polite." in req.input_text
    assert "AGENT: hello" in req.input_text and "PASS or FAIL" in req.system
