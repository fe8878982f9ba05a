"""Reliability matrices (tests/reliability): sizes.

CI runs a reduced matrix; ``AGENTCTL_FULL_MATRIX=1`` runs every point (see docs/reliability.md):

- ``AGENTCTL_FULL_MATRIX=1``: every mutating call and every mid-wait point of the kill matrix,
  50 agents for the throttling case of the fault matrix;
- ``AGENTCTL_MATRIX_STRIDE=K``: keep every K-th mutation point of the kill matrix (default 5).
"""

from __future__ import annotations

import os

import pytest


def full() -> bool:
    return os.environ.get("AGENTCTL_FULL_MATRIX") == "1"


@pytest.fixture
def matrix_size() -> dict:
    if full():
        return {"stride": 1, "statuses": 4, "agents": 50, "seeds": 3}
    stride = int(os.environ.get("AGENTCTL_MATRIX_STRIDE") or 5)
    return {"stride": stride, "statuses": 1, "agents": 10, "seeds": 1}
