"""agentctl's one palette, and turning a renderable into text.

Every coloured thing agentctl prints is styled by a *name* from ``THEME`` (``add``, ``remove``,
``change``, ``note``, ``ok``, ...): renderers attach the names to ``rich.text.Text`` spans, the
console (``agentctl.console``) decides whether colour is on and maps names to colours here. So
there is one place to change a colour, and turning colour off never changes the characters.

``to_text`` renders a renderable (``Text``, ``Table``) to a string through a private in-memory
console: markup and highlighting off (user data such as ``functions[get_order_status]`` or
``/orders/{orderId}`` is never parsed as rich markup or recoloured), no soft wrapping (a diff
line stays one line), trailing padding stripped. Golden tests compare its output byte for byte.

Pure: no output stream is touched; may import rich, nothing of the CLI.
"""

from __future__ import annotations

import io
import re
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.theme import Theme

THEME = Theme(
    {
        "add": "green",
        "remove": "red",
        "change": "yellow",
        "note": "dim",
        "bold": "bold",
        "ok": "bold green",
        "failed": "bold red",
        "warning": "yellow",
        "error": "bold red",
        "muted": "dim",
        "header": "bold",
    },
    inherit=False,
)
"""Style names -> colours. ``inherit=False``: only these names exist, so a typo in a renderer
fails loudly in the tests instead of printing unstyled."""

WIDE = 100_000
"""Width for text that is not going to a terminal: never wrap or squeeze (a table row or a diff
line stays one line however long; scripts and golden files see whole lines)."""


def make_console(file: Any, *, color: bool, width: int | None = None,
                 terminal: bool | None = None) -> Console:
    """A console with agentctl's fixed settings: ``THEME``, markup/highlighting/emoji off,
    soft wrapping on (long lines are not broken), colour exactly when ``color``."""
    return Console(
        file=file,
        theme=THEME,
        color_system="standard" if color else None,
        force_terminal=terminal if terminal is not None else color,
        no_color=not color,
        markup=False,
        highlight=False,
        emoji=False,
        soft_wrap=True,
        width=width,
        legacy_windows=False,
        # Rich reads COLUMNS / NO_COLOR / FORCE_COLOR itself; agentctl decides (console.py), so
        # pass an empty environment for rendering.
        _environ={},
    )


def to_text(renderable: Any, *, color: bool = False, width: int | None = None) -> str:
    """``renderable`` as a string, newline-terminated, each line's trailing spaces stripped.
    ``width`` only matters for tables (default: never squeeze)."""
    if isinstance(renderable, str):
        return renderable if renderable.endswith("\n") or not renderable else renderable + "\n"
    buf = io.StringIO()
    make_console(buf, color=color, width=width or WIDE).print(renderable)
    # Table cells are padded to the column width; drop that padding at line ends, also when
    # it sits inside a styled span (``cell   \x1b[0m``), so colour never changes the characters.
    return "".join(_TRAILING.sub(r"\1", line) + "\n" for line in buf.getvalue().splitlines())


_TRAILING = re.compile(r"\s+((?:\x1b\[[0-9;]*m)*)$")


def styled(text: str, style: str | None = None) -> Text:
    """A ``Text`` of user data, never parsed as markup."""
    return Text(text, style=style or "")


def table(*columns: str, **column_options: Any) -> Table:
    """agentctl's table: no box, a bold header row, two spaces between columns, cells never
    wrapped (``to_text`` gives it all the width it needs; a terminal folds)."""
    t = Table(box=None, show_edge=False, pad_edge=False, padding=(0, 2, 0, 0),
              header_style="header", show_header=True, expand=False)
    for name in columns:
        t.add_column(name, no_wrap=True, overflow="fold", **column_options)
    return t
