"""The realistic project the reliability matrices apply, and the oracle they judge runs with.

- ``write_project(root, generation)`` writes a multi-agent project (a SUPERVISOR with
  collaborators, ``track: latest`` and pinned aliases, version retention 0) at one of four
  generations: 0 = first apply, 1 = every agent changed (a second version), 2 = the change the
  matrices interrupt: three agents updated (action group edited, instructions), a new agent
  created and added as a collaborator, a version cut per agent, the now unreferenced versions
  deleted by retention; 3 = removals (applied with ``--prune``): billing-agent's action group
  deleted, returns-agent taken out of the project (disassociated from the supervisor, its
  aliases and the agent deleted).
- ``main(description, argv, add_arguments, run)``: the command line both matrices share
  (``--keep``, a work directory, the report on stdout, exit 0 only when every case is right).
- ``agentctl(root, *args, env=...)`` runs the real CLI as a subprocess (``python -m agentctl``),
  so a fault can SIGKILL it.
- ``snapshot(state)`` is a normalized live read of the emulator's state file made with boto3
  only (never with agentctl's own reader, which is under test): ids, ARNs and timestamps are
  replaced by names, so two runs that created their agents separately compare equal exactly
  when they converged to the same configuration, versions, routing and tags.
- ``duplicates(state)`` lists every name that exists more than once (agents, aliases, action
  groups, collaborators), which a re-run after a crash must never produce.

Must not: import agentctl's planner, executor or live reader (the oracle stays independent).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
REGION = "us-east-1"

# Environment variables that would change what a subprocess run does.
_SCRUB = ("AGENTCTL_ENV", "AWS_ENDPOINT_URL_BEDROCK_AGENT", "AWS_ENDPOINT_URL", "NO_COLOR",
          "AGENTCTL_LOCK_TIMEOUT")


def _lambda(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def _specialist(name: str, gen: int, *, group: str, function: str, param: str,
                summary: str) -> str:
    instruction = (f"You are the {name} specialist of the helpdesk. Use {function} before you "
                   f"answer, quote what it returns and never guess. Revision {gen}.")
    fdesc = f"{summary} (revision {gen})." if name == "billing-agent" else f"{summary}."
    groups = textwrap.indent(textwrap.dedent(f"""\
        actionGroups:
          - name: {group}
            description: Tools of the {name}.
            executor: {{ lambda: "{_lambda(name + '-tools')}" }}
            functions:
              - name: {function}
                description: {fdesc}
                parameters:
                  {param}:
                    type: string
                    description: The identifier the customer gives.
                    required: true
        """), "")
    if gen >= 3 and name == "billing-agent":
        groups = ""  # generation 3 deletes its only action group
    return textwrap.dedent(f"""\
        name: {name}
        description: The {name} of the helpdesk.
        model: anthropic.claude-3-5-sonnet-20241022-v2:0
        instruction: "{instruction}"
        role: arn:aws:iam::{ACCOUNT}:role/{name}-role
        tags: {{ team: helpdesk }}
        """) + groups + textwrap.dedent("""\
        aliases:
          - name: STAGING
            description: Newest version.
            track: latest
          - name: PROD
            description: Promoted by hand.
            track: pinned
        """)


SPECIALISTS = {
    "billing-agent": dict(group="BillingTools", function="get_invoice", param="invoice_id",
                          summary="Fetch one invoice"),
    "shipping-agent": dict(group="ShippingTools", function="track_parcel",
                           param="tracking_number", summary="Latest tracking scan of a parcel"),
    "returns-agent": dict(group="ReturnsTools", function="open_return", param="order_id",
                          summary="Open a return for an order"),
}


def agents_at(gen: int) -> list[str]:
    names = ["billing-agent", "shipping-agent"]
    if gen == 2:  # added at generation 2, taken out of the project at generation 3
        names.append("returns-agent")
    return names + ["helpdesk-supervisor"]


def _supervisor(gen: int) -> str:
    collaborators = [n for n in agents_at(gen) if n != "helpdesk-supervisor"]
    lines = "\n".join(
        f"    - name: {n.split('-')[0]}\n"
        f"      agent: {n}\n"
        f"      alias: STAGING\n"
        f"      instruction: Route {n.split('-')[0]} questions here (revision {gen}).\n"
        + ("      relayConversationHistory: true\n" if n == "billing-agent" else "")
        for n in collaborators)
    instruction = ("You are the front desk of the helpdesk. Work out what the customer needs "
                   f"and delegate to the matching collaborator. Revision {gen}.")
    return (textwrap.dedent(f"""\
        name: helpdesk-supervisor
        description: Front door of the helpdesk.
        model: anthropic.claude-3-5-sonnet-20241022-v2:0
        instruction: "{instruction}"
        role: arn:aws:iam::{ACCOUNT}:role/helpdesk-supervisor-role
        aliases:
          - name: LIVE
            description: What the chat widget invokes.
            track: latest
        collaboration:
          mode: SUPERVISOR
          collaborators:
        """) + lines)


def write_project(root: Path, gen: int, *, state: str = ".agentctl/local.db",
                  extra_agents: int = 0) -> Path:
    """Write (or rewrite) the project at generation ``gen``. ``extra_agents`` adds that many
    independent single agents (the throttling case applies many agents at once)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "agents").mkdir(exist_ok=True)
    lambdas = [_lambda(n + "-tools") for n in SPECIALISTS] + [_lambda("bulk-tools")]
    world = "\n".join(f"        - arn: {arn}\n          handler: handlers:lambda_handler"
                      for arn in lambdas)
    (root / "agentctl.yaml").write_text(textwrap.dedent(f"""\
        project: helpdesk
        agents: ["agents/*.yaml"]
        defaultEnvironment: local
        settings:
          versionRetention: 0
        environments:
          local:
            target: local
            region: {REGION}
            account: "{ACCOUNT}"
            state: {state}
            world:
              lambdas:
        """) + world + "\n")
    (root / "handlers.py").write_text("def lambda_handler(event, context=None):\n    return {}\n")
    wanted = set()
    for name in agents_at(gen):
        text = _supervisor(gen) if name == "helpdesk-supervisor" else \
            _specialist(name, gen, **SPECIALISTS[name])
        (root / "agents" / f"{name}.yaml").write_text(text)
        wanted.add(f"{name}.yaml")
    for i in range(extra_agents):
        name = f"bulk-{i:03d}"
        (root / "agents" / f"{name}.yaml").write_text(textwrap.dedent(f"""\
            name: {name}
            description: Bulk agent {i}.
            model: anthropic.claude-3-5-sonnet-20241022-v2:0
            instruction: "You are bulk agent number {i}. Answer briefly and politely. Revision {gen}."
            role: arn:aws:iam::{ACCOUNT}:role/bulk-role
            actionGroups:
              - name: BulkTools
                description: Tools of bulk agent {i}.
                executor: {{ lambda: "{_lambda('bulk-tools')}" }}
                functions:
                  - name: lookup
                    description: Look something up.
                    parameters:
                      key: {{ type: string, description: What to look up., required: true }}
            aliases:
              - name: STAGING
                track: latest
            """))
        wanted.add(f"{name}.yaml")
    for p in (root / "agents").glob("*.yaml"):
        if p.name not in wanted:
            p.unlink()
    return root


# ------------------------------------------------------------------------------ running

@dataclass(frozen=True)
class Run:
    code: int
    """The exit code; ``-9`` when the process was SIGKILLed."""
    out: str
    err: str
    seconds: float


def base_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AGENTCTL_EMULATOR_") and k not in _SCRUB}
    env["AGENTCTL_EMULATOR_TIME_SCALE"] = "0.02"
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(overrides)
    return env


def agentctl(root: Path, *args: str, env: Mapping[str, str] | None = None,
             timeout: float = 300) -> Run:
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "agentctl", "-C", str(root), *args],
                          env=dict(env or base_env()), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    return Run(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)


# ------------------------------------------------------------------------------ the oracle

_VOLATILE = {"createdAt", "updatedAt", "preparedAt", "agentArn", "agentId", "agentVersion",
             "agentAliasId", "agentAliasArn", "actionGroupId", "collaboratorId", "clientToken",
             "ResponseMetadata", "agentAliasHistoryEvents", "startDate", "endDate"}


def _clean(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _clean(v) for k, v in sorted(value.items()) if k not in _VOLATILE}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "isoformat"):
        return "<time>"
    return value


def _all(method, key: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = method(**params)
        items.extend(page.get(key, []))
        if not page.get("nextToken"):
            return items
        params["nextToken"] = page["nextToken"]


def _open(state: Path):
    from agentctl.emulator import Emulator

    emu = Emulator(state_path=state, region=REGION, account=ACCOUNT)
    return emu, emu.client()


def snapshot(state: Path) -> dict[str, Any]:
    """Normalized live state: agent name -> configuration, tags, DRAFT action groups and
    collaborators, numbered versions (with their instruction and sub-resources) and aliases
    (name -> routed version, status). Waits (a few seconds at most) for transitions to settle,
    so a snapshot never depends on when it was taken."""
    emu, c = _open(state)
    try:
        deadline = time.monotonic() + 20
        while True:
            summaries = _all(c.list_agents, "agentSummaries")
            busy = [s for s in summaries if s["agentStatus"] not in ("PREPARED", "NOT_PREPARED",
                                                                      "FAILED")]
            if not busy or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        ids = {s["agentId"]: s["agentName"] for s in summaries}
        alias_names: dict[str, str] = {}
        for aid, name in ids.items():
            for a in _all(c.list_agent_aliases, "agentAliasSummaries", agentId=aid):
                arn = c.get_agent_alias(agentId=aid, agentAliasId=a["agentAliasId"])[
                    "agentAlias"]["agentAliasArn"]
                alias_names[arn] = f"{name}/{a['agentAliasName']}"

        def subresources(aid: str, version: str) -> dict[str, Any]:
            groups = {}
            for g in _all(c.list_agent_action_groups, "actionGroupSummaries", agentId=aid,
                          agentVersion=version):
                full = c.get_agent_action_group(agentId=aid, agentVersion=version,
                                                actionGroupId=g["actionGroupId"])
                groups.setdefault(g["actionGroupName"], []).append(
                    _clean(full["agentActionGroup"]))
            collaborators = {}
            for k in _all(c.list_agent_collaborators, "agentCollaboratorSummaries",
                          agentId=aid, agentVersion=version):
                doc = _clean(k)
                arn = k.get("agentDescriptor", {}).get("aliasArn")
                doc["agentDescriptor"] = alias_names.get(arn, arn)
                collaborators.setdefault(k["collaboratorName"], []).append(doc)
            kbs = [_clean(kb) for kb in _all(c.list_agent_knowledge_bases,
                                             "agentKnowledgeBaseSummaries", agentId=aid,
                                             agentVersion=version)]
            return {"actionGroups": groups, "collaborators": collaborators,
                    "knowledgeBases": kbs}

        out: dict[str, Any] = {}
        for aid, name in sorted(ids.items(), key=lambda kv: kv[1]):
            agent = c.get_agent(agentId=aid)["agent"]
            tags = c.list_tags_for_resource(resourceArn=agent["agentArn"]).get("tags", {})
            versions = {}
            for v in _all(c.list_agent_versions, "agentVersionSummaries", agentId=aid):
                if v["agentVersion"] == "DRAFT":
                    continue
                doc = c.get_agent_version(agentId=aid, agentVersion=v["agentVersion"])[
                    "agentVersion"]
                versions[v["agentVersion"]] = {"instruction": doc.get("instruction"),
                                               "description": doc.get("description"),
                                               **subresources(aid, v["agentVersion"])}
            aliases: dict[str, list[Any]] = {}
            for a in _all(c.list_agent_aliases, "agentAliasSummaries", agentId=aid):
                routed = [r.get("agentVersion") for r in a.get("routingConfiguration") or ()]
                aliases.setdefault(a["agentAliasName"], []).append(
                    {"routes": routed, "status": a.get("agentAliasStatus"),
                     "description": a.get("description")})
            entry = {"agent": _clean(agent), "tags": dict(sorted(tags.items())),
                     "draft": subresources(aid, "DRAFT"), "versions": versions,
                     "aliases": aliases}
            out.setdefault(name, []).append(entry)
        return out
    finally:
        emu.close()


def duplicates(snap: Mapping[str, Any]) -> list[str]:
    """Every name that exists more than once in ``snap``."""
    found = []
    for name, entries in snap.items():
        if len(entries) > 1:
            found.append(f"agent {name} x{len(entries)}")
        for entry in entries:
            for alias, items in entry["aliases"].items():
                if len(items) > 1:
                    found.append(f"{name}: alias {alias} x{len(items)}")
            for kind in ("actionGroups", "collaborators"):
                for sub, items in entry["draft"][kind].items():
                    if len(items) > 1:
                        found.append(f"{name}: {kind} {sub} x{len(items)}")
    return found


def mutating_calls(state: Path) -> list[str]:
    """Successful mutating calls in the state file's call log, in order."""
    from agentctl.emulator import MUTATING_OPERATIONS

    emu, _ = _open(state)
    try:
        return [c.operation for c in emu.calls()
                if c.operation in MUTATING_OPERATIONS and c.outcome == "ok"]
    finally:
        emu.close()


def clear_calls(state: Path) -> None:
    emu, _ = _open(state)
    try:
        emu.clear_calls()
    finally:
        emu.close()


def diff(a: Any, b: Any, path: str = "") -> list[str]:
    """Human-readable differences between two snapshots (first few)."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            if k not in a:
                out.append(f"{path}/{k}: only in the second")
            elif k not in b:
                out.append(f"{path}/{k}: only in the first")
            else:
                out.extend(diff(a[k], b[k], f"{path}/{k}"))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {json.dumps(a, default=str)[:120]} != "
                              f"{json.dumps(b, default=str)[:120]}"]


# ------------------------------------------------------------------------------ command line

def main(description: str, argv: list[str] | None,
         add_arguments: Callable[[argparse.ArgumentParser], None],
         run: Callable[[Path, argparse.Namespace, Callable[[str], None]], Any]) -> int:
    """The command line of a matrix: its own options, ``--keep``; ``run(workdir, args,
    progress)`` returns a report with ``text()`` and ``ok``. Prints the report; exit 0 only when
    every case is right."""
    ap = argparse.ArgumentParser(description=description)
    add_arguments(ap)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="agentctl-matrix-"))
    try:
        report = run(workdir, args, lambda line: print(line, file=sys.stderr))
        print(report.text())
        return 0 if report.ok else 1
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"work directory kept: {workdir}", file=sys.stderr)
