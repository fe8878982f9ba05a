"""A faithful local emulator of the Amazon Bedrock Agents control plane (``bedrock-agent``).

Reached through boto3 itself: ``Emulator.client()`` returns a real bedrock-agent client whose
requests are answered in-process (botocore's own validation, serialization, parsing and retries
run unchanged), and ``transports/server.py`` serves the same ``handle_http`` over loopback HTTP. Behaviour
follows the behavioural reference docs/service-behaviour.md; UNCONFIRMED behaviour is a switch in ``EmulatorConfig``.

Modules: ``core`` (Emulator, World, CallRecord), ``config``, ``control/`` (the control-plane
semantics, a module per resource family), ``runtime/`` (InvokeAgent, memory), ``transports/``
(``wire`` REST-JSON, ``inprocess`` botocore hook, ``server`` loopback HTTP), ``defaults`` (values
filled in on read), ``store`` (SQLite), ``faults``, ``errors``, ``clock`` (a manual clock for
tests). docs/architecture.md draws the layout and what each part may import.
"""

from __future__ import annotations

from agentctl.emulator.config import Durations, EmulatorConfig, EmulatorConfigError, FaultConfig, Quotas
from agentctl.emulator.core import MUTATING_OPERATIONS, CallRecord, Emulator, World

__all__ = [
    "CallRecord", "Durations", "Emulator", "EmulatorConfig", "EmulatorConfigError", "FaultConfig",
    "MUTATING_OPERATIONS", "Quotas", "World",
]
