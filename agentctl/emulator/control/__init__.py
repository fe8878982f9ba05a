"""The emulated bedrock-agent control plane: state, lifecycle and the rules AWS enforces, one
module per resource family (as moto lays out a service's models).

- ``base``: constants, the ``Control`` object every handler receives (dispatch, validation,
  clientToken idempotency, the lazy lifecycle, ids, ARNs, refusals, paging, quotas);
- ``agents`` (with PrepareAgent), ``versions``, ``action_groups``, ``knowledge_bases`` (the
  agent's associations and the knowledge-base resource), ``collaborators``, ``aliases``,
  ``tags``: each exports ``OPERATIONS`` (operation name -> handler).

``ControlPlane.dispatch(tx, operation, params, now)`` runs one operation inside one store
transaction and returns the output as a plain dict (timestamps as epoch floats; the transports'
``wire`` serializes them per the output shape). Errors are ``ServiceError``s with AWS's wording
where service-behaviour.md quotes it; texts it does not quote are marked "invented" next to where
they are raised.

Must not: import the transports or the runtime (``tests/test_import_contract.py`` checks it),
touch HTTP, sleep, read the real clock, or know about faults other than the prepare-outcome hook
it is given.
"""

from __future__ import annotations

import random
from typing import Callable, Mapping

from agentctl.emulator.config import EmulatorConfig
from agentctl.emulator.control import (action_groups, agents, aliases, collaborators, knowledge_bases, tags,
                                       versions)
from agentctl.emulator.control.base import Control, Handler, PrepareOutcome
from agentctl.emulator.store import Tx

FAMILIES = (agents, versions, action_groups, knowledge_bases, collaborators, aliases, tags)


def _handlers() -> dict[str, Handler]:
    table: dict[str, Handler] = {}
    for family in FAMILIES:
        twice = table.keys() & family.OPERATIONS.keys()
        if twice:  # two families answering one operation would be a silent override
            raise RuntimeError(f"{family.__name__} redefines {sorted(twice)}")
        table.update(family.OPERATIONS)
    return table


HANDLERS: Mapping[str, Handler] = _handlers()


class ControlPlane(Control):
    """Every family's operations behind one ``dispatch``."""

    def __init__(self, config: EmulatorConfig, *, region: str, account: str,
                 rng: random.Random | None = None,
                 prepare_hook: Callable[[], PrepareOutcome] | None = None):
        super().__init__(config, region=region, account=account, handlers=HANDLERS, rng=rng,
                         prepare_hook=prepare_hook)

    def seed_knowledge_base(self, tx: Tx, kb_id: str, name: str, description: str | None, now: float) -> None:
        """Create or refresh a knowledge base of the project's world (not an API operation)."""
        knowledge_bases.seed_knowledge_base(self, tx, kb_id, name, description, now)


__all__ = ["ControlPlane", "Control", "Handler", "PrepareOutcome", "HANDLERS", "FAMILIES"]
