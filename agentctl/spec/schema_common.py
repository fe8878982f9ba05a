"""What the two schema generators share: where schemas are published, the JSON Schema draft and
id base, the two builders every property is written with (``prop``, ``obj``), and writing the
files.

``gen_schema`` (agent and project schemas, annotated from botocore's model) and ``eval_schema``
(eval suites, agentctl's own format) both build their skeletons from these, so a title, a
description and ``additionalProperties: false`` are spelled once.

Must not: import either generator (``gen_schema`` imports ``eval_schema``; both import this), or
do I/O at import time.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable, Mapping

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_BASE = "https://agentctl.dev/schemas/"
PACKAGE_DIR = Path(__file__).resolve().parent.parent / "schemas"
"""The copies agentctl validates with (shipped in the package)."""
REPO_SPECS_DIR = Path(__file__).resolve().parent.parent.parent / "specs"
"""The published copies (what editors point ``$schema`` at)."""


def prop(title: str, description: str, type_: str | list[str] | None = None, **extra: Any) -> dict[str, Any]:
    """A property with the title and description an editor shows, its ``type`` and ``extra``."""
    out: dict[str, Any] = {"title": title, "description": description}
    if type_ is not None:
        out["type"] = type_
    out.update(extra)
    return out


def obj(title: str, description: str, properties: dict[str, Any], required: list[str] | None = None,
        **extra: Any) -> dict[str, Any]:
    """A closed object (``additionalProperties: false``): a misspelt key is an error, not ignored."""
    out = prop(title, description, "object", properties=properties, additionalProperties=False, **extra)
    if required:
        out["required"] = required
    return out


def dumps(schema: Mapping[str, Any]) -> str:
    """A schema file's text: two-space indented JSON, non-ASCII kept, one final newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_schemas(renders: Mapping[str, Callable[[], str]], targets: list[Path] | None = None) -> list[Path]:
    """Write ``<name>.schema.json`` for every ``name -> render`` into each target directory
    (default: the package copy and the published one); returns the paths written."""
    written = []
    for directory in targets or [PACKAGE_DIR, REPO_SPECS_DIR]:
        directory.mkdir(parents=True, exist_ok=True)
        for name, render in renders.items():
            path = directory / f"{name}.schema.json"
            path.write_text(render(), encoding="utf-8")
            written.append(path)
    return written


def report_written(paths: list[Path]) -> int:
    """What ``python -m agentctl.spec.gen_schema`` / ``eval_schema`` print (to stderr): one line a
    file written; exit status 0."""
    for path in paths:
        print(f"wrote {path}", file=sys.stderr)
    return 0
