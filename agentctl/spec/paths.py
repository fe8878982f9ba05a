"""Files of the project matched by glob patterns, confined to the project directory.

Used by everything that takes patterns from the project's files (eval suites, the local
runtime's knowledge-base documents): a pattern or a symlink that leads outside the project
matches nothing there (includes and handlers stay inside the project). Reads the directory tree
only; no parsing."""

from __future__ import annotations

import glob as globmod
from pathlib import Path
from typing import Iterable


def files_inside(root: Path, patterns: Iterable[str]) -> list[Path]:
    """Resolved files matching ``patterns`` (relative to ``root``, ``**`` allowed), each pattern's
    matches sorted, in pattern order, without repeats, inside ``root`` only."""
    root = Path(root).resolve()
    out: list[Path] = []
    for pattern in patterns:
        for m in sorted(globmod.glob(str(root / pattern), recursive=True)):
            p = Path(m).resolve()
            if p.is_file() and p.is_relative_to(root) and p not in out:
                out.append(p)
    return out
