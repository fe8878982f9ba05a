"""Agent specs and projects: YAML with positions, includes, interpolation, overlays, JSON Schema
and Bedrock's rules. ``load_project`` is the entry point for every command that needs specs.

Must not: import boto3 clients, touch AWS or the emulator, or print.
"""

from __future__ import annotations

from agentctl.spec.project import (
    AgentSpecDoc,
    Environment,
    Project,
    Settings,
    check_files,
    find_project_file,
    load_project,
)

__all__ = ["AgentSpecDoc", "Environment", "Project", "Settings", "check_files", "find_project_file",
           "load_project"]
