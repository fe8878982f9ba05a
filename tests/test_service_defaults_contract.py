"""AWS's defaults live in ``agentctl/core/normalize.py`` only (issue 7 item 4), kept true by
reading the code with ``ast``:

- no ``.get(member, default)`` / ``.setdefault(member, default)`` / ``.pop(member, default)``
  outside normalize where ``member`` is one that ``SERVICE_DEFAULTS`` defaults (an inline default
  is a second copy of the table, and the two drift apart: the action-group ENABLED default of
  the live reader and the planner's request builders were such copies);
- no literal equal to a defaulted enum value (``ENABLED``, ``DISABLED``, ``DEFAULT``,
  ``ACCEPT_INVOCATIONS``) or to a numeric default (1800) outside normalize, except where the
  allow-list below says why the literal is an enum *value* and not a default.

The emulator is exempt: it plays the service, whose defaults it fills in on read
(``agentctl/emulator/defaults.py``, ``control/``); agentctl must not depend on them.
"""

from __future__ import annotations

import ast
from pathlib import Path

from agentctl.core.normalize import SERVICE_DEFAULTS

PKG = Path(__file__).resolve().parents[1] / "agentctl"
EXEMPT = ("core/normalize.py", "emulator/")

ALLOWED_LITERALS: dict[tuple[str, str], str] = {
    ("spec/fields.py", "ENABLED"): "the field table's enum mapping (requireConfirmation true/false)",
    ("spec/fields.py", "DISABLED"): "the field table's enum mappings (requireConfirmation, "
                                    "relayConversationHistory)",
    ("spec/gen_schema.py", "DISABLED"): "the schema excludes an enum value from one property",
    ("spec/rules.py", "DISABLED"): "a state-only `state: DISABLED` prompt override (a value the "
                                   "user wrote, compared as such)",
    ("spec/rules.py", "DEFAULT"): "`type: DEFAULT` with a lambda (orchestration.type is required, "
                                  "so this is the value written, not a default)",
}
"""(file under agentctl/, literal) -> why it is an enum value there, not a default."""


def _defaults() -> tuple[dict[str, set], set]:
    members: dict[str, set] = {}
    literals: set = set()
    for rows in SERVICE_DEFAULTS.values():
        for path, default in rows:
            members.setdefault(path.split(".")[-1], set()).add(default)
            if isinstance(default, str) or (type(default) is int and default > 100):
                literals.add(default)   # small numbers (20, 30) are everywhere: the get rule sees them
    members.setdefault("description", set()).add("")   # §1.2: "" is no description
    return members, literals


def _findings(rel: str, tree: ast.AST) -> list[str]:
    members, literals = _defaults()
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("get", "setdefault", "pop") and len(node.args) == 2 \
                and isinstance(node.args[0], ast.Constant) and node.args[0].value in members \
                and isinstance(node.args[1], ast.Constant):
            out.append(f"{rel}:{node.lineno}: .{node.func.attr}({node.args[0].value!r}, "
                       f"{node.args[1].value!r})")
        elif isinstance(node, ast.Constant) and type(node.value) in (str, int) and node.value in literals \
                and (rel, node.value) not in ALLOWED_LITERALS:
            out.append(f"{rel}:{node.lineno}: literal {node.value!r}")
    return out


def _checked():
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG).as_posix()
        if not rel.startswith(EXEMPT) and rel not in EXEMPT:
            yield rel, ast.parse(path.read_text(encoding="utf-8"), str(path))


def test_no_service_default_outside_normalize():
    found = [f for rel, tree in _checked() for f in _findings(rel, tree)]
    assert found == [], "use (or add) a named function in agentctl/core/normalize.py"


def test_every_allowed_literal_is_still_there():
    """A stale allow-list entry would quietly permit the literal's return."""
    present = set()
    for rel, tree in _checked():
        present |= {(rel, n.value) for n in ast.walk(tree) if isinstance(n, ast.Constant)}
    assert set(ALLOWED_LITERALS) - present == set()


def test_the_rule_sees_the_kinds_it_forbids():
    tree = ast.parse('s = g.get("actionGroupState", "ENABLED")\n'
                     'p.setdefault("relayConversationHistory", x)\n'
                     'ttl = a.get("idleSessionTTLInSeconds", 1800)\n'
                     'd = la.get("description", "")\n'
                     'state = "ACCEPT_INVOCATIONS"\n')
    assert sorted(_findings("plan/x.py", tree)) == [
        "plan/x.py:1: .get('actionGroupState', 'ENABLED')",
        "plan/x.py:1: literal 'ENABLED'",
        "plan/x.py:3: .get('idleSessionTTLInSeconds', 1800)",
        "plan/x.py:3: literal 1800",
        "plan/x.py:4: .get('description', '')",
        "plan/x.py:5: literal 'ACCEPT_INVOCATIONS'",
    ]
