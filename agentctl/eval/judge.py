"""Judged criteria: a model decides whether a case's transcript meets a criterion written in
words (``judge:`` in a suite), through the same pluggable foundation-model interface as the local
runtime (``agentctl.emulator.runtime.models``: scripted, bedrock, openai-compatible).

Configured in ``agentctl.yaml``::

    settings:
      judge:
        model: { provider: bedrock, modelId: anthropic.claude-3-5-sonnet-20241022-v2:0 }

Without ``settings.judge`` judged criteria are skipped with a visible note (``matchers``). The
judge is asked one question per criterion: the system prompt below, the criterion and the
transcript; it must answer ``PASS`` or ``FAIL`` first, then one line of reason. Any other answer
fails the criterion (saying what the judge said), so a confused judge never passes a case.

Must not: run without being configured, or decide anything but the one criterion.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any, Mapping

from agentctl.errors import UsageError
from agentctl.eval.matchers import Judge, JudgeVerdict

SYSTEM = (
    "You are a strict evaluator of a customer-facing AI agent. You get a criterion and the "
    "transcript of a conversation (user messages, the agent's tool calls and results, the "
    "agent's answers). Decide whether the agent's behaviour meets the criterion. Answer with "
    "PASS or FAIL as the first word, then one short sentence saying why.")

_VERDICT = re.compile(r"^\W*(PASS|FAIL)\b[\s:.\-]*(.*)$", re.IGNORECASE | re.DOTALL)


def question(criterion: str, transcript: str) -> str:
    return f"Criterion: {criterion}\n\nTranscript:\n{transcript}\n\nVerdict (PASS or FAIL):"


def parse_verdict(text: str) -> JudgeVerdict:
    m = _VERDICT.match(text or "")
    if m is None:
        shown = (text or "").strip().replace("\n", " ")[:120] or "(nothing)"
        return JudgeVerdict(False, f"the judge did not answer PASS or FAIL: {shown!r}")
    # Markdown emphasis around the verdict (**PASS**) is not part of the reason.
    rest = m.group(2).strip().strip("*_").strip()
    reason = rest.splitlines()[0] if rest else ""
    return JudgeVerdict(m.group(1).upper() == "PASS", reason)


def make_judge(model: Any, *, foundation_model: str = "") -> Judge:
    """A ``Judge`` asking ``model`` (a ``FoundationModel``: ``orchestrate(ModelRequest)``)."""
    from agentctl.emulator.runtime.models import ModelRequest

    lock = threading.Lock()  # providers keep per-instance state; one question at a time

    def judge(criterion: str, transcript: str) -> JudgeVerdict:
        text = question(criterion, transcript)
        request = ModelRequest(prompt_type="ORCHESTRATION", prompt=f"{SYSTEM}\n\n{text}",
                               system=SYSTEM, input_text=text,
                               foundation_model=foundation_model or getattr(model, "name", ""))
        with lock:
            reply = model.orchestrate(request)
        return parse_verdict(reply.answer if reply.answer is not None else reply.raw)

    return judge


def judge_from_settings(judge_settings: Mapping[str, Any] | None, root: Path
                        ) -> tuple[Judge | None, str | None]:
    """(judge, a name for reports) from ``settings.judge``, or (None, None) when not set."""
    if not judge_settings:
        return None, None
    model = dict(judge_settings.get("model") or {})
    try:
        from agentctl.emulator.runtime.models import ModelCache, ModelUnavailable
        from agentctl.emulator.runtime.settings import RuntimeSettings
    except ImportError:
        raise UsageError("settings.judge needs agentctl's local runtime models, which this "
                         "installation does not have",
                         hint="remove settings.judge to skip judged criteria") from None
    settings = RuntimeSettings.from_mapping({"model": model}, Path(root), where="settings.judge")
    try:
        fm = ModelCache().get(settings)
    except ModelUnavailable as e:
        raise UsageError(f"settings.judge: {e}", where="agentctl.yaml") from None
    name = model.get("modelId") or model.get("model") or model.get("file") or model["provider"]
    return make_judge(fm, foundation_model=str(model.get("modelId") or "")), \
        f"{model['provider']}:{name}"
