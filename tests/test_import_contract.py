"""The architecture of docs/architecture.md, kept true by reading the code (ast, no imports):

- imports go one way: each part of ``agentctl/`` may import only the parts its row of
  ``ALLOWED`` names (a new top-level part fails until it gets a row, and a line in the doc);
- ``agentctl.cli`` is imported by nothing but itself and ``agentctl/__main__.py``;
- third-party libraries stay where they belong: boto3/botocore in ``aws/`` and ``emulator/``
  (plus ``core/servicemodel.py``'s ``service_model()``, which hands botocore's full model to
  those two and imports it only when called), typer only in ``cli/``, rich only in ``render/``
  and ``console.py``, jsonschema only in ``spec/``, deepdiff only in ``plan/``;
- inside ``emulator/``: the control plane (``control/``) never imports the transports or the
  runtime, the transports (``transports/``) import nothing that knows Bedrock semantics and name
  no API operation, and each piece imports only what its row of ``EMULATOR_ALLOWED`` names;
- start-up: ``agentctl --help`` / ``--version`` import no boto3, botocore or jsonschema, and
  ``agentctl validate`` no boto3 or botocore (measured in a subprocess with
  ``python -X importtime``).
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "agentctl"
EXAMPLES = PKG.parent / "examples"

_BASE = {"errors", "exitcodes"}
ALLOWED: dict[str, set[str]] = {
    "__init__": set(),
    "exitcodes": set(),
    "errors": {"exitcodes"},
    "core": _BASE,
    "spec": _BASE | {"core"},
    "plan": _BASE | {"core"},
    # render/trace.py formats the runtime's pure trace model (frozen dataclasses).
    "render": _BASE | {"core", "plan", "runtime.trace"},
    # console.py masks the values marked sensitive in everything it prints, and writes JSON
    # documents with the one indented JSON writer.
    "console": _BASE | {"render", "core.sensitive", "core.jsontext"},
    # The runtime's scripted model files are read with the one YAML-with-positions loader, so
    # their errors are located exactly like spec errors (no second loader).
    "emulator": _BASE | {"core", "spec.yamlload", "spec.paths"},
    # aws/client.py routes a local target's requests to the in-process emulator.
    "aws": _BASE | {"core", "emulator"},
    "apply": _BASE | {"core", "spec", "plan", "aws", "locks"},
    "locks": _BASE | {"core"},
    "runtime": _BASE | {"core", "spec", "plan", "aws", "apply", "locks"},
    # eval/judge.py asks judge models through the local runtime's model interface.
    "eval": _BASE | {"core", "spec", "plan", "aws", "apply", "locks", "runtime", "render",
                     "emulator.runtime"},
    "cli": None,  # the top: may import every part
    "__main__": {"cli"},
}
"""Part -> the parts it may import (``None``: any). A part is a sub-package of agentctl or a
top-level module; ``runtime.trace`` names one module."""

THIRD_PARTY: dict[str, set[str]] = {
    "boto3": {"aws", "emulator"},
    "botocore": {"aws", "emulator"},
    "typer": {"cli"},
    "click": {"cli"},
    "rich": {"render", "console"},
    "jsonschema": {"spec"},
    "deepdiff": {"plan"},
}
LAZY_BOTOCORE = {("core/servicemodel.py", "service_model")}
"""(file, function) allowed to import botocore inside the function body."""


def _modules():
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG)
        part = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        yield rel.as_posix(), part, ast.parse(path.read_text(encoding="utf-8"), str(path))


def _imports(tree: ast.AST):
    """(module name, enclosing function name or None) for every import, nested ones too."""
    def walk(node, func):
        for child in ast.iter_child_nodes(node):
            f = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else func
            if isinstance(child, ast.Import):
                for a in child.names:
                    yield a.name, func
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                if child.module == "agentctl":
                    for a in child.names:
                        yield f"agentctl.{a.name}", func
                else:
                    yield child.module, func
            yield from walk(child, f)
    yield from walk(tree, None)


def _target_part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_part_has_a_rule():
    parts = {part for _, part, _ in _modules()}
    assert parts - set(ALLOWED) == set(), \
        "a new part of agentctl/: add its row to ALLOWED and to docs/architecture.md"


def test_imports_go_one_way():
    bad = []
    for rel, part, tree in _modules():
        allowed = ALLOWED.get(part)
        if allowed is None:
            continue
        for module, _ in _imports(tree):
            if not module.startswith("agentctl.") and module != "agentctl":
                continue
            target = _target_part(module)
            if target == part:
                continue
            dotted = ".".join(module.split(".")[1:3])
            if target in allowed or dotted in allowed:
                continue
            bad.append(f"{rel} imports {module}")
    assert bad == []


def test_cli_is_imported_by_nothing_else():
    bad = [f"{rel} imports {m}" for rel, part, tree in _modules() if part not in ("cli", "__main__")
           for m, _ in _imports(tree) if m == "agentctl.cli" or m.startswith("agentctl.cli.")]
    assert bad == []


def test_third_party_libraries_stay_in_their_parts():
    bad = []
    for rel, part, tree in _modules():
        for module, func in _imports(tree):
            top = module.split(".")[0]
            if top not in THIRD_PARTY or part in THIRD_PARTY[top]:
                continue
            if top == "botocore" and (rel, func) in LAZY_BOTOCORE:
                continue
            bad.append(f"{rel}{f' ({func})' if func else ''} imports {module}")
    assert bad == []


def test_the_contract_test_sees_nested_imports():
    tree = ast.parse("def f():\n    import botocore.session\n\nimport typer\n")
    assert sorted(_imports(tree)) == [("botocore.session", "f"), ("typer", None)]


# ------------------------------------------------------------------------ inside emulator/

EMULATOR = PKG / "emulator"
EMULATOR_ALLOWED: dict[str, set[str] | None] = {
    "__init__": None,            # the public names (Emulator, EmulatorConfig, ...)
    "core": None,                # Emulator ties transports, faults, store, control and runtime
    "clock": set(),
    "config": set(),
    "errors": set(),
    "store": set(),
    "defaults": set(),
    # faults hands the control plane its PrepareAgent outcome (the hook's type lives there).
    "faults": {"config", "errors", "control.base"},
    # Semantics only: never the transports, the runtime, the fault injector or the Emulator.
    "control": {"config", "errors", "store", "defaults"},
    # Bytes in, bytes out: nothing that knows what an operation means.
    "transports": {"errors"},
    # The runtime reads the control plane's stored documents (control.base names their kinds)
    # and serializes event-stream payloads per the model (transports.wire).
    "runtime": {"config", "errors", "store", "defaults", "control.base", "transports.wire"},
}
"""Piece of ``agentctl/emulator/`` -> the other pieces it may import (``None``: any); a piece is a
sub-package or a module, ``control.base`` names one module."""


def _emulator_modules():
    for path in sorted(EMULATOR.rglob("*.py")):
        rel = path.relative_to(EMULATOR)
        piece = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        yield f"emulator/{rel.as_posix()}", piece, ast.parse(path.read_text(encoding="utf-8"), str(path))


def _imported_names(tree: ast.AST):
    """Every ``import a.b`` as ``a.b`` and every ``from a.b import c`` as ``a.b.c``, nested too
    (``from agentctl.emulator import store`` must count as importing ``store``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield from (f"{node.module}.{a.name}" for a in node.names)


def _emulator_violations(modules) -> list[str]:
    bad = []
    for rel, piece, tree in modules:
        allowed = EMULATOR_ALLOWED.get(piece)
        if allowed is None:
            continue
        for module in _imported_names(tree):
            parts = module.split(".")
            if parts[:2] != ["agentctl", "emulator"]:
                continue
            target = parts[2] if len(parts) > 2 else "__init__"
            if target == piece or target in allowed or ".".join(parts[2:4]) in allowed:
                continue
            bad.append(f"{rel} imports {module}")
    return bad


def test_every_emulator_piece_has_a_rule():
    pieces = {piece for _, piece, _ in _emulator_modules()}
    assert pieces - set(EMULATOR_ALLOWED) == set(), \
        "a new piece of agentctl/emulator/: add its row to EMULATOR_ALLOWED and to docs/architecture.md"


def test_emulator_pieces_import_one_way():
    assert _emulator_violations(_emulator_modules()) == []


def test_the_emulator_rule_sees_a_control_module_reaching_for_a_transport():
    tree = ast.parse("def f():\n    from agentctl.emulator.transports import wire\n"
                     "from agentctl.emulator.runtime import snapshot\nfrom agentctl.emulator import store\n")
    assert sorted(_emulator_violations([("emulator/control/x.py", "control", tree)])) == [
        "emulator/control/x.py imports agentctl.emulator.runtime.snapshot",
        "emulator/control/x.py imports agentctl.emulator.transports.wire"]
    assert _emulator_violations([("emulator/transports/x.py", "transports", tree)]) != []


def test_transports_name_no_api_operation():
    """Semantics are keyed on operation names (the control plane's OPERATIONS tables, the
    runtime's handlers): a transport that names one has started to interpret requests."""
    from agentctl.core import servicemodel

    operations = set()
    for service in (servicemodel.SERVICE, "bedrock-agent-runtime"):
        operations |= set(servicemodel.service_model(service).operation_names)
    bad = [f"{rel}: {node.value!r}" for rel, piece, tree in _emulator_modules() if piece == "transports"
           for node in ast.walk(tree)
           if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in operations]
    assert bad == []


# --------------------------------------------------------------------------------- start-up

def _imported(tmp_path: Path, *args: str) -> set[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTCTL_", "AWS_"))}
    env["AGENTCTL_EMULATOR_TIME_SCALE"] = "0"
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "agentctl", *args],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    assert "agentctl.cli" in names  # the measurement worked
    return {n.split(".")[0] for n in names}


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["plan", "--help"]])
def test_help_and_version_import_no_aws_sdk_or_jsonschema(tmp_path, args):
    tops = _imported(tmp_path, *args)
    assert tops & {"boto3", "botocore", "jsonschema", "s3transfer", "urllib3"} == set()


def test_validate_imports_no_aws_sdk(tmp_path):
    project = tmp_path / "support-bot"
    shutil.copytree(EXAMPLES / "support-bot", project,
                    ignore=shutil.ignore_patterns(".agentctl", "__pycache__"))
    tops = _imported(project, "validate")
    assert "jsonschema" in tops  # validate does need it
    # openapi-spec-validator's jsonschema_path imports `requests` (and with it urllib3) whenever
    # requests is installed (moto[server], in the test extra, installs it): that urllib3 is not
    # the AWS SDK's; it counts only when requests did not bring it.
    sdk = {"boto3", "botocore", "s3transfer"} | ({"urllib3"} if "requests" not in tops else set())
    assert tops & sdk == set()
