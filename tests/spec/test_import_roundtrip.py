"""Import round trip on generated specs: spec -> the canonical live configuration it applies to
-> ``import_agent`` -> files on disk -> the real project loader gives the same configuration
back (files, ``${var...}`` references, ``$${`` escapes and YAML quoting included).

Reuses the generators of ``test_fields_roundtrip`` (which proves spec -> apply on the emulator
-> read back -> ``spec_document`` is the identity); here the import's own layer is what is
tested, without the emulator, so it is cheap: ``AGENTCTL_IMPORT_ROUNDTRIP_EXAMPLES`` (default 25).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from agentctl.core.model import LiveAgent, canonical_json, plain
from agentctl.core.normalize import canonicalize
from agentctl.spec import importer, load_project
from agentctl.spec.mapping import to_config
from tests.plan.builders import live_agent, version
from tests.spec.test_fields_roundtrip import (ACCOUNT, EXTERNAL, FIXED, HELPER, KBS, LAMBDAS,
                                              _inline_docs, _substitute, agent_specs)

EXAMPLES = int(os.environ.get("AGENTCTL_IMPORT_ROUNDTRIP_EXAMPLES", "25"))
VARIABLES = {"mainLambda": LAMBDAS[0], "guardrail": "abcdef123456"}
# A collaborator on an agent outside the project: an alias ARN, kept as one.
OUTSIDE = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:agent-alias/ABCDEFGHIJ/KLMNOPQRST"


def _live(spec: dict[str, Any]) -> LiveAgent:
    """The live agent a spec applies to: its canonical configuration as the DRAFT, released."""
    cfg = canonicalize(to_config(spec, _inline_docs(spec)))
    aliases = {}
    from tests.plan.builders import live_alias

    for a in cfg.aliases.values():
        aliases[a.name] = live_alias(a.name, "1", description=a.description, tags=dict(a.tags),
                                     invocation_state=a.invocation_state)
    live = live_agent(cfg, aliases=aliases, versions=(version("1", cfg),))
    return dataclasses.replace(live, config=dataclasses.replace(live.config, aliases={
        n: dataclasses.replace(a, invocation_state=cfg.aliases[n].invocation_state)
        for n, a in live.config.aliases.items()}))


def _config_json(cfg) -> str:
    c = canonicalize(cfg)
    return canonical_json(plain({**c.content(), "tags": dict(c.tags), "aliases": {
        k: [a.description, dict(a.tags), a.invocation_state] for k, a in c.aliases.items()}},
        refs_as_json=True))


def _check(root: Path, spec: dict[str, Any]) -> None:
    spec = _substitute(spec, EXTERNAL, OUTSIDE)
    if root.exists():
        shutil.rmtree(root)
    (root / "agents").mkdir(parents=True)
    env = {"target": "local", "region": "us-east-1", "account": ACCOUNT, "variables": VARIABLES,
           "world": {"knowledgeBases": [{"id": k, "name": k.lower()} for k in KBS],
                     "lambdas": [{"arn": a, "handler": "h:h"} for a in LAMBDAS]}}
    (root / "agentctl.yaml").write_text(yaml.safe_dump(
        {"project": "gen", "agents": ["agents/*.yaml"], "environments": {"local": env}}))
    (root / "agents" / "gen-helper.yaml").write_text(yaml.safe_dump(HELPER, sort_keys=False))
    got = importer.import_agent(_live(spec), spec_path="agents/gen-agent.yaml",
                                variables=VARIABLES, region="us-east-1", account=ACCOUNT,
                                spec_globs=["agents/*.yaml"])
    assert not [n for n in got.notes if "cannot be expressed" in n], got.notes
    importer.write_files(root, got.files)
    project = load_project(root, environ={})
    assert _config_json(project.desired["gen-agent"]) == \
        _config_json(to_config(spec, _inline_docs(spec)))


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(spec=agent_specs())
def test_generated_specs_import_back(tmp_path, spec):
    _check(tmp_path / "gen", spec)


@pytest.mark.parametrize("name", list(FIXED))
def test_fixed_specs_import_back(tmp_path, name):
    _check(tmp_path / "gen", FIXED[name])


def test_references_are_used(tmp_path):
    spec = {**FIXED["small"], "guardrail": {"id": "abcdef123456", "version": "1"},
            "description": "Costs ${var.mainLambda} nothing",
            "actionGroups": [{"name": "Fns", "description": "A function group, for tests.",
                              "executor": {"lambda": LAMBDAS[0]},
                              "functions": [{"name": "f"}]}]}
    _check(tmp_path / "gen", spec)
    text = (tmp_path / "gen" / "agents" / "gen-agent.yaml").read_text()
    assert "lambda: ${var.mainLambda}" in text and "id: ${var.guardrail}" in text
    assert "Costs $${var.mainLambda} nothing" in text
