"""A module imported the first time one of its names is used: ``console = lazy("agentctl.console")``.

The command modules are all imported to build the command tree, for every run, ``agentctl
--help`` included; what a command needs only while it runs (the console and its rich palette,
the run's sensitive values) is imported then (tests/test_cli_startup.py lists what ``--help``
imports). Must not: be used for a module whose import has side effects a command relies on
before its first use.
"""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    """Stands for module ``name``: attribute reads (and writes) go to the module, imported on
    the first one."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_name", name)

    def _module(self) -> Any:
        return importlib.import_module(object.__getattribute__(self, "_name"))

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._module(), attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        setattr(self._module(), attr, value)

    def __repr__(self) -> str:
        return f"<lazy module {object.__getattribute__(self, '_name')!r}>"


def lazy(name: str) -> Any:
    return LazyModule(name)
