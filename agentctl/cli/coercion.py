"""Command-line values of type ``str``, ``Path`` and ``bool`` converted without building pydantic models.

typer (>= 0.2x) converts every parameter value through a pydantic ``TypeAdapter`` that it
builds the first time the parameter is used: importing pydantic and building the adapters of one
``agentctl plan`` costs about 0.25 s of CPU per process, more than the command's own work on a
small project. Nearly all of agentctl's parameters are plain strings, paths, flags and lists of
them, whose conversion is fixed and simple: ``str(value)`` for a string, ``Path(value)`` for a
path (then typer's own path checks, ``typer._param_types.coerce_cli_path``, unchanged), a flag's
bool as it is (typer builds the adapter even for ``--help``'s unset value), a list of those for a
repeatable option. ``install(params)`` gives those parameters a converter doing
exactly that; everything else (numbers, choices, files, custom parsers, and any value the fast
path is not sure about, e.g. a path with a NUL byte, whose error message pydantic words) keeps
typer's own converter, built on first use as before. The results and the error messages are
typer's (tests/test_cli_coercion.py compares both converters on generated values).

If typer's internals are not what this expects (an older or newer typer without
``type_descriptor`` / ``_runtime_param``), nothing is installed and typer converts as it always
did: slower, never different. Must not: import pydantic, change what a value converts to.
"""

from __future__ import annotations

import os
import typing
from pathlib import Path
from typing import Any

_LISTS = (list, typing.List)


class _Plain:
    """Duck-typed like typer's ``RuntimeParam`` (``coerce(value, param, ctx)``)."""

    __slots__ = ("leaf", "is_list", "descriptor", "_typer")

    def __init__(self, leaf: type, is_list: bool, descriptor: Any) -> None:
        self.leaf = leaf
        self.is_list = is_list
        self.descriptor = descriptor
        self._typer: Any = None

    def _fallback(self) -> Any:
        """typer's own converter for this parameter (imports pydantic), built once."""
        if self._typer is None:
            from typer._coercion import build_runtime_param

            self._typer = build_runtime_param(self.descriptor)
        return self._typer

    def _leaf_ok(self, item: Any) -> bool:
        # bool: a flag's value is already a bool (typer passes it through; None is handled
        # before this); a string (from an environment variable) goes to typer's own parser.
        # str: typer's `_parse_cli_str` is str(value) for anything but bytes/None, and pydantic
        # then accepts any str (lone surrogates from undecodable argv bytes included).
        # Path: pydantic builds Path(value) from a str; a path the file system cannot name (a
        # NUL byte, a lone surrogate that is no escaped argv byte) fails in typer's os.stat with
        # an error pydantic words: typer's converter then.
        if self.leaf is bool:
            return isinstance(item, bool)
        if not isinstance(item, str):
            return False
        if self.leaf is str:
            return True
        try:
            return b"\x00" not in os.fsencode(item)
        except UnicodeError:
            return False

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        is_multi = param.multiple or param.nargs == -1
        if value is None:
            return () if is_multi else None
        if is_multi and isinstance(value, str):
            return self._fallback().coerce(value, param=param, ctx=ctx)  # typer's error
        items = (list(value) if isinstance(value, (list, tuple)) else [value]) if self.is_list \
            else None
        if not all(self._leaf_ok(i) for i in (items if items is not None else [value])):
            return self._fallback().coerce(value, param=param, ctx=ctx)
        if items is not None:
            return [self._convert(i, param, ctx) for i in items]
        return self._convert(value, param, ctx)

    def _convert(self, item: Any, param: Any, ctx: Any) -> Any:
        if self.leaf is bool:
            return item
        if self.leaf is str:
            return str(item)
        from typer._param_types import coerce_cli_path

        # typer's own checks (exists, file/dir, readable, ...) on the Path pydantic would build.
        return coerce_cli_path(Path(item), self.descriptor.parameter_info, path_type=Path,
                               param=param, ctx=ctx)


def _plain_for(descriptor: Any) -> _Plain | None:
    info = getattr(descriptor, "parameter_info", None)
    annotation = getattr(descriptor, "annotation", None)
    if info is None or getattr(descriptor, "file_annotation", None) is not None:
        return None
    if getattr(info, "parser", None) is not None or getattr(info, "path_type", None) is not None:
        return None
    if getattr(info, "resolve_path", False) or getattr(info, "allow_dash", False):
        return None
    is_list = typing.get_origin(annotation) in _LISTS
    leaf = typing.get_args(annotation)[0] if is_list and typing.get_args(annotation) \
        else annotation
    if leaf not in (str, Path, bool) or (is_list and len(typing.get_args(annotation)) != 1):
        return None
    return _Plain(leaf, is_list, descriptor)


def install(params: list[Any]) -> list[Any]:
    """Give each plain ``str`` / ``Path`` / ``bool`` (or list of them) parameter the converter above, once;
    returns ``params``."""
    for p in params:
        if getattr(p, "_runtime_param", "absent") is not None:
            continue  # already has one (or this typer has no such slot)
        plain = _plain_for(getattr(p, "type_descriptor", None))
        if plain is not None:
            p._runtime_param = plain
    return params
