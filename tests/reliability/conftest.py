"""Reliability matrices (tests/reliability): sizes.

CI runs a reduced matrix; ``AGENTCTL_FULL_MATRIX=1`` runs every point (see docs/reliability.md):

- ``AGENTCTL_FULL_MATRIX=1``: every mutating call and every mid-wait point of the kill matrix,
  50 agents for the throttling case of the fault matrix;
- ``AGENTCTL_MATRIX_STRIDE=K``: keep every K-th mutation point of the kill matrix (default 10).
"""

from __future__ import annotations

import os

import pytest


def full() -> bool:
    return os.environ.get("AGENTCTL_FULL_MATRIX") == "1"


@pytest.fixture
def matrix_size() -> dict:
    if full():
        return {"stride": 1, "statuses": 4, "agents": 47, "seeds": 3}
    stride = int(os.environ.get("AGENTCTL_MATRIX_STRIDE") or 10)
    return {"stride": stride, "statuses": 1, "agents": 2, "seeds": 1}


@pytest.fixture(scope="session")
def prepared(tmp_path_factory):
    """The kill matrix's template (generations 0 and 1 applied, 2 written) and the uninterrupted
    run's snapshot, built once for both matrices; read only."""
    from tests.reliability import kill_matrix as km

    return km.prepare(tmp_path_factory.mktemp("reliability-template"))
