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
from typing import Any, Sequence

from rich.console import Console
from rich.control import strip_control_codes
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
    raw = _text_direct(renderable, color) if isinstance(renderable, Text) else None
    if raw is None:
        buf = io.StringIO()
        make_console(buf, color=color, width=width or WIDE).print(renderable)
        raw = buf.getvalue()
    # Table cells are padded to the column width; drop that padding at line ends, also when
    # it sits inside a styled span (``cell   \x1b[0m``), so colour never changes the characters.
    return "".join(_strip_end(line) + "\n" for line in raw.splitlines())


_TRAILING = re.compile(r"\s+((?:\x1b\[[0-9;]*m)*)$")
_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def _strip_end(line: str) -> str:
    r"""``_TRAILING.sub(r"\1", line)``: trailing whitespace dropped, also before the escape codes
    that end the line. Written out because the regex retries at every run of spaces inside a
    line (a third of a large plan's render time); ``\s`` and ``str.rstrip()`` strip the same
    characters."""
    if "\x1b" not in line:
        return line.rstrip()
    end = len(line)
    while end and line[end - 1] == "m":
        start = line.rfind("\x1b[", 0, end)
        if start < 0 or not _ESCAPE.fullmatch(line, start, end):
            break
        end = start
    body = line[:end]
    stripped = body.rstrip()
    return line if stripped == body else stripped + line[end:]


def _text_direct(text: Text, color: bool) -> str | None:
    """What ``Console.print(text)`` writes with ``make_console``'s settings, without its
    per-line work, or None when the shortcut does not apply (then the console renders).

    With soft wrapping on, the console splits a ``Text`` into lines, expands tabs, joins the
    lines again with ``"\n"`` and writes each styled segment as ``style.render(segment)``
    (issue 13: splitting a 200-agent plan's one ``Text`` of ~80 000 lines and ~60 000 spans took
    most of its render time). Without tabs, without a base style and with no span across a line
    break, splitting and re-joining changes nothing, so the segments of ``text`` itself are the
    same; ``tests/plan/test_render.py`` checks this against the console for plain and colour
    output, including hostile text."""
    plain = text.plain
    if "\t" in plain or text.style or text.end != "\n":
        return None
    if not color:
        return plain + "\n"
    if any("\n" in plain[span.start:span.end] for span in text.spans):
        return None
    console = _colour_console()
    system = console._color_system  # what the console itself passes to Style.render
    out: list[str] = []
    for segment_text, style, _control in text.render(console, end="\n"):
        out.append(style.render(segment_text, color_system=system) if style else segment_text)
    return "".join(out)


_COLOUR_CONSOLE: list[Console] = []


def _colour_console() -> Console:
    """One colour console for resolving style names (it writes nothing)."""
    if not _COLOUR_CONSOLE:
        _COLOUR_CONSOLE.append(make_console(io.StringIO(), color=True, width=WIDE))
    return _COLOUR_CONSOLE[0]


Line = tuple[tuple[str, str], ...]
"""One line of output as styled pieces: (text, style name or "")."""


def lines_to_rich(lines: Sequence[Line]) -> Text:
    """``lines`` as one ``Text``: each piece styled by its name, lines joined by newlines."""
    return Text("\n").join(Text.assemble(*(Text(t, style=s) for t, s in line))
                           for line in lines)


def lines_to_text(lines: Sequence[Line], *, color: bool = False) -> str:
    """``to_text(lines_to_rich(lines), color=color)``, the same characters, without building
    the ``Text`` (issue 13: a 200-agent plan is ~45 000 lines). A piece's text is cleaned of
    control codes as ``Text`` does; text with a tab or a newline inside a piece takes the
    console's path (the console expands tabs and splits styles at line breaks).
    ``tests/plan/test_render.py`` compares both paths."""
    if not color:
        return _plain_lines_to_text(lines)
    pieces = [(strip_control_codes(t), s) for line in lines for t, s in line]
    if any("\t" in t or "\n" in t for t, _ in pieces):
        return to_text(lines_to_rich(lines), color=color)
    if color:
        console = _colour_console()
        system = console._color_system  # what the console itself passes to Style.render
        styles: dict[str, Any] = {}

        def paint(text: str, name: str) -> str:
            if not name or not text:
                return text
            style = styles.get(name)
            if style is None:
                style = styles[name] = console.get_style(name)
            return style.render(text, color_system=system) if style else text
    else:
        def paint(text: str, name: str) -> str:
            return text
    out: list[str] = []
    i = 0
    for line in lines:
        n = len(line)
        out.append("".join(paint(t, s) for t, s in pieces[i:i + n]))
        i += n
    return "".join(_strip_end(line) + "\n" for line in "\n".join(out).splitlines())


def _plain_lines_to_text(lines: Sequence[Line]) -> str:
    """``lines_to_text(lines, color=False)`` on the whole text at once rather than per piece
    and per line (issue 13: a 200-agent plan's ~45 000 lines): the control codes ``Text``
    strips are single characters other than the newline, so stripping them from the joined
    text is stripping them from every piece; a tab, or a newline inside a piece (more newlines
    than line breaks), takes the console's path as before."""
    text = "\n".join(["".join([t for t, _ in line]) for line in lines])
    if "\t" in text or text.count("\n") != len(lines) - 1:
        return to_text(lines_to_rich(lines), color=False)
    rows = strip_control_codes(text).splitlines()
    if not rows:
        return ""
    if "\x1b" in text:
        return "\n".join([_strip_end(row) for row in rows]) + "\n"
    return "\n".join([row.rstrip() for row in rows]) + "\n"


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
