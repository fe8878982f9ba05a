"""Fixtures for the contract tests; the helpers live in ``stubs.py``."""

from __future__ import annotations

from .stubs import bedrock, clients, sleeper, stub  # noqa: F401 - pytest fixtures
