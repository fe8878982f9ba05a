"""``json_text``: the indented JSON agentctl writes (saved plans, ``--output json``, the OpenAPI
payloads of action-group requests), ``json.dumps(value, indent=2, ensure_ascii=False, ...)`` byte
for byte, several times faster.

Why: with ``indent`` the standard library leaves its C encoder for a Python generator per
container and per value (issue 13: most of a 200-agent saved plan's ``dumps``). Must not: write
anything ``json.dumps`` would not (tests/plan/test_fast_paths.py compares the two on generated
values, subclasses, non-str keys, NaN and deep nesting included). Pure; imports only ``json``.
"""

from __future__ import annotations

import json
from typing import Any


def json_text(value: Any, *, sort_keys: bool = False, default: Any = None) -> str:
    """``json.dumps(value, indent=2, sort_keys=sort_keys, ensure_ascii=False, default=default)``.
    Exact built-in types are written here (strings by the standard library's own C escaper);
    anything else goes through ``json``'s rules in ``json``'s order (``_json_other``); a
    structure too deep or circular is handed to ``json.dumps`` itself, which raises as it
    always did."""
    out: list[str] = []
    try:
        _json_write(value, 0, out, sort_keys, default)
    except RecursionError:
        return json.dumps(value, indent=2, sort_keys=sort_keys, ensure_ascii=False,
                          default=default)
    return "".join(out)


_esc = json.encoder.encode_basestring  # the C escaper json uses with ensure_ascii=False
_NEWLINES = ["\n" + "  " * i for i in range(64)]


def _newline(level: int) -> str:
    if level < 64:
        return _NEWLINES[level]
    while level >= len(_NEWLINES):
        _NEWLINES.append("\n" + "  " * len(_NEWLINES))
    return _NEWLINES[level]


def _json_scalar(v: Any) -> str | None:
    """The JSON of an exact str/None/bool/int/float, None for anything else."""
    kind = type(v)
    if kind is str:
        return _esc(v)
    if v is None:
        return "null"
    if kind is bool:
        return "true" if v else "false"
    if kind is int:
        return int.__repr__(v)
    if kind is float:
        return _json_float(v)
    return None


def _json_float(v: float) -> str:
    # json's floatstr with allow_nan (its default)
    if v != v:
        return "NaN"
    if v == _INF:
        return "Infinity"
    if v == -_INF:
        return "-Infinity"
    return float.__repr__(v)


_INF = float("inf")


def _json_write(o: Any, level: int, out: list[str], sort_keys: bool, default: Any) -> None:
    kind = type(o)
    if kind is dict:
        _json_dict(o, level, out, sort_keys, default)
    elif kind is list or kind is tuple:
        _json_list(o, level, out, sort_keys, default)
    else:
        text = _json_scalar(o)
        if text is not None:
            out.append(text)
        else:
            _json_other(o, level, out, sort_keys, default)


def _json_dict(o: Any, level: int, out: list[str], sort_keys: bool, default: Any) -> None:
    if not o:
        out.append("{}")
        return
    nl = _newline(level + 1)
    sep = "{" + nl
    for k, v in (sorted(o.items()) if sort_keys else o.items()):
        key = _esc(k) if type(k) is str else _json_key(k)
        kind = type(v)  # (the common kinds first, without a call each)
        if kind is str:
            out.append(sep + key + ": " + _esc(v))
        elif kind is dict:
            out.append(sep + key + ": ")
            _json_dict(v, level + 1, out, sort_keys, default)
        elif kind is list:
            out.append(sep + key + ": ")
            _json_list(v, level + 1, out, sort_keys, default)
        else:
            text = _json_scalar(v)
            if text is not None:
                out.append(sep + key + ": " + text)
            else:
                out.append(sep + key + ": ")
                _json_write(v, level + 1, out, sort_keys, default)
        sep = "," + nl
    out.append(_newline(level) + "}")


def _json_list(o: Any, level: int, out: list[str], sort_keys: bool, default: Any) -> None:
    if not o:
        out.append("[]")
        return
    nl = _newline(level + 1)
    sep = "[" + nl
    for v in o:
        kind = type(v)
        if kind is str:
            out.append(sep + _esc(v))
        elif kind is dict:
            out.append(sep)
            _json_dict(v, level + 1, out, sort_keys, default)
        else:
            text = _json_scalar(v)
            if text is not None:
                out.append(sep + text)
            else:
                out.append(sep)
                _json_write(v, level + 1, out, sort_keys, default)
        sep = "," + nl
    out.append(_newline(level) + "]")


def _json_key(k: Any) -> str:
    """json's rules for a key that is not an exact str (without ``skipkeys``)."""
    if isinstance(k, str):
        return _esc(k)
    if isinstance(k, float):
        return _esc(_json_float(k))
    if k is True:
        return '"true"'
    if k is False:
        return '"false"'
    if k is None:
        return '"null"'
    if isinstance(k, int):
        return _esc(int.__repr__(k))
    raise TypeError(f"keys must be str, int, float, bool or None, not {k.__class__.__name__}")


def _json_other(o: Any, level: int, out: list[str], sort_keys: bool, default: Any) -> None:
    """json's ``_iterencode`` order of tests for a value of no exact built-in type."""
    if isinstance(o, str):
        out.append(_esc(o))
    elif o is None:
        out.append("null")
    elif o is True:
        out.append("true")
    elif o is False:
        out.append("false")
    elif isinstance(o, int):
        out.append(int.__repr__(o))
    elif isinstance(o, float):
        out.append(_json_float(o))
    elif isinstance(o, (list, tuple)):
        _json_list(o, level, out, sort_keys, default)
    elif isinstance(o, dict):
        _json_dict(o, level, out, sort_keys, default)
    else:
        if default is None:
            raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")
        _json_write(default(o), level, out, sort_keys, default)
