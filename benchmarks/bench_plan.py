"""Benchmark: ``build_plan`` and the plan renderers for N agents of the support-bot shape.

Pure, no I/O in the measured part: the example's support-bot spec is loaded once (outside the
timings) and cloned N times under different names. Three cases:

- ``empty``: nothing exists yet, so every agent is created (CreateAgent, 3 action groups, a
  knowledge base, PrepareAgent, 2 aliases, one version cut per agent);
- ``converged``: every agent exists exactly as desired, with version 1 holding the DRAFT's
  content and both aliases routed to it, so the plan is empty (checked);
- ``update``: the converged state against specs with one change in every agent (its
  description): every agent updated, prepared and a version cut (issue 13's "plan of 200 agents
  with an update everywhere").

For each (N, case): the median of several repetitions of ``build_plan``, of each renderer
(human text without colour, the ``--output json`` text: ``plan_to_document`` + ``console.json_text``,
Markdown) and of the saved-plan codec
(``dumps`` + ``loads``), and the peak Python heap of one plan + render. Run:

    python benchmarks/bench_plan.py [--quick]
"""

from __future__ import annotations

import dataclasses
import sys
import time

from common import EXAMPLE, SPEC, agent_names, machine, measure, median_ms, peak_mib, print_table, rss_mib

from agentctl.core.model import (
    OWNER_TAG,
    OWNER_TAG_VALUE,
    PROJECT_TAG,
    AgentConfig,
    AliasConfig,
    LiveAgent,
    LiveAlias,
    LiveState,
    LiveVersion,
    Target,
)
from agentctl.console import json_text
from agentctl.core.normalize import canonicalize
from agentctl.plan import codec
from agentctl.plan.planner import build_plan
from agentctl.render.human import render_plan
from agentctl.render.json import plan_to_document
from agentctl.render.markdown import render_markdown
from agentctl.spec import load_project

ACCOUNT, REGION = "123456789012", "us-east-1"
TARGET = Target(kind="local", region=REGION, account=ACCOUNT, endpoint="embedded:bench")
SIZES = (1, 10, 50, 200)


def desired_agents(template: AgentConfig, n: int) -> dict[str, AgentConfig]:
    return {name: dataclasses.replace(template, name=name, agent={**template.agent, "agentName": name})
            for name in agent_names(n)}


def changed_everywhere(desired: dict[str, AgentConfig]) -> dict[str, AgentConfig]:
    """``desired`` with one change in every agent (its description), as issue 13's "plan of 200
    agents with an update everywhere": against ``converged_live`` every agent is updated,
    prepared, and a version cut."""
    return {name: dataclasses.replace(cfg, agent={**cfg.agent,
                                                  "description": f"{cfg.agent.get('description')} (v2)"})
            for name, cfg in desired.items()}


def converged_live(desired: dict[str, AgentConfig], project: str) -> LiveState:
    """The live state an apply of ``desired`` leaves: DRAFT = desired, version 1 = its content,
    every alias routed to version 1."""
    agents = {}
    for i, (name, raw) in enumerate(sorted(desired.items())):
        cfg = canonicalize(raw)
        agent_id = f"A{i:09d}"
        aliases = {
            a: LiveAlias(alias_id=f"L{i:05d}{j:04d}", name=a,
                         arn=f"arn:aws:bedrock:{REGION}:{ACCOUNT}:agent-alias/{agent_id}/L{i:05d}{j:04d}",
                         description=spec.description, routed_version="1", status="PREPARED",
                         invocation_state="ACCEPT_INVOCATIONS", tags=dict(spec.tags), history=())
            for j, (a, spec) in enumerate(sorted(cfg.aliases.items()))
        }
        live_cfg = dataclasses.replace(cfg, aliases={
            a: AliasConfig(name=a, description=s.description, tags=s.tags) for a, s in cfg.aliases.items()})
        agents[name] = LiveAgent(
            agent_id=agent_id, arn=f"arn:aws:bedrock:{REGION}:{ACCOUNT}:agent/{agent_id}",
            status="PREPARED", config=live_cfg,
            owner_tags={OWNER_TAG: OWNER_TAG_VALUE, PROJECT_TAG: project},
            action_group_ids={g: f"G{i:05d}{k:04d}" for k, g in enumerate(sorted(cfg.action_groups))},
            action_group_states={g: "ENABLED" for g in cfg.action_groups},
            aliases=aliases,
            versions=(LiveVersion(version="1", status="PREPARED", created_at=None, content=cfg.content()),),
            fingerprint=f"fp-{agent_id}",
        )
    return LiveState(target=TARGET, agents=agents)


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    started = time.perf_counter()
    project = load_project(EXAMPLE, "local")
    template = project.desired[SPEC]
    print("bench_plan: build_plan + renderers, support-bot-shaped agents, pure (no I/O)")
    print(f"machine: {machine()}")

    rows = []
    for n in SIZES if not quick else SIZES[:2]:
        desired = desired_agents(template, n)
        converged = converged_live(desired, project.name)
        for label, live, wanted in (("empty", LiveState(target=TARGET, agents={}), desired),
                                    ("converged", converged, desired),
                                    ("update", converged, changed_everywhere(desired))):
            def plan():
                return build_plan(wanted, live, project=project.name, environment="local",
                                  created_at="2026-01-01T00:00:00Z")

            p = plan()
            if label == "converged":
                assert not p.has_changes, "the converged live state does not match: fix the benchmark"
            elif label == "update":
                assert sum(s.operation == "UpdateAgent" for s in p.steps) == n
            else:
                assert sum(s.operation == "CreateAgent" for s in p.steps) == n
            repeat = 3 if n >= 50 else 7
            t_plan = median_ms(measure(plan, repeat))
            t_human = median_ms(measure(lambda: render_plan(p, color=False), repeat))
            t_json = median_ms(measure(lambda: json_text(plan_to_document(p)), repeat))
            t_md = median_ms(measure(lambda: render_markdown(p), repeat))
            t_codec = median_ms(measure(lambda: codec.loads(codec.dumps(p)), repeat))
            peak = peak_mib(lambda: (render_plan(plan(), color=False)))
            rows.append((n, label, len(p.steps), repeat, t_plan, t_human, t_json, t_md, t_codec,
                         t_plan + t_human, peak))
    print_table("median milliseconds per call; peak = traced Python heap (MiB) of one build_plan + "
                "human render",
                ("agents", "live", "steps", "reps", "build_plan", "human", "json", "markdown",
                 "codec dumps+loads", "plan+human", "peak MiB"), rows)
    print(f"\nprocess peak RSS {rss_mib():.0f} MiB; total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
