"""typer's rich help formatter (``typer.rich_utils``), imported without what help never uses.

``agentctl --help`` and every ``COMMAND --help`` are drawn by ``typer.rich_utils``, which imports
``rich.markdown`` (markdown-it-py, for ``rich_markup_mode="markdown"``) and ``rich.traceback``
(pygments, rich.pretty, for typer's pretty exceptions) at the top: about 0.1 s of CPU, a third
of ``agentctl --help``. agentctl uses neither: its markup mode is ``"rich"`` and pretty exceptions
are off (``pretty_exceptions_enable=False``: the error boundary in ``agentctl.cli`` reports
failures). ``load()`` imports ``typer.rich_utils`` with stand-ins for those two names that import
the real class the moment one is used, so the help text is drawn by typer's own code, unchanged
(tests/test_cli_startup.py compares every command's help with and without this), and
``rich.markdown`` / ``rich.traceback`` stay importable as they are for anyone else.

Must not: import rich.markdown or rich.traceback, change what typer draws.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

_HEAVY = {"rich.markdown": "Markdown", "rich.traceback": "Traceback"}


def _real(module: str, name: str) -> Any:
    return getattr(importlib.import_module(module), name)


def _stand_in(module: str, name: str) -> type:
    """A class named like ``module.name`` whose construction (and classmethods, e.g.
    ``Traceback.from_exception``) are the real class's, imported then."""

    class _Meta(type):
        def __getattr__(cls, attr: str) -> Any:
            return getattr(_real(module, name), attr)

        def __instancecheck__(cls, obj: Any) -> bool:
            real = sys.modules.get(module)
            return real is not None and isinstance(obj, getattr(real, name))

    def __new__(cls: type, *args: Any, **kw: Any) -> Any:
        return _real(module, name)(*args, **kw)

    return _Meta(name, (), {"__new__": __new__, "__module__": module,
                            "__doc__": f"Stand-in for {module}.{name}, imported when used."})


def load() -> None:
    """Import ``typer.rich_utils`` (once) without ``rich.markdown`` and ``rich.traceback``."""
    if "typer.rich_utils" in sys.modules:
        return
    placed = []
    for module, name in _HEAVY.items():
        if module in sys.modules:
            continue  # already imported by someone: the real one is free
        stub = types.ModuleType(module, f"agentctl.cli.richhelp stand-in for {module}")
        setattr(stub, name, _stand_in(module, name))
        sys.modules[module] = stub
        placed.append(module)
    try:
        importlib.import_module("typer.rich_utils")
    finally:
        # Only typer.rich_utils holds the stand-ins; the module names go back to the real ones.
        for module in placed:
            if isinstance(sys.modules.get(module), types.ModuleType) and \
                    getattr(sys.modules[module], "__doc__", "").startswith("agentctl.cli.richhelp"):
                del sys.modules[module]
