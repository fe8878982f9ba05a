"""Every ``§`` reference in the repository points into docs/service-behaviour.md, the project's
own account of the Bedrock service, and nothing cites the research notes the repository does not
ship (a user reading ``(docs/service-behaviour.md §3.4)`` in a message can open it)."""

from __future__ import annotations

import functools
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "service-behaviour.md"
RESEARCH = "bedrock-" + "semantics"  # spelled apart so this file does not match itself
TEXT_SUFFIXES = {".py", ".md", ".txt", ".toml", ".yaml", ".yml", ".json", ".cfg", ".ini"}

# §N, §N.M, "§9.3 item 6"; "§§1–10" / "§1-§9" ranges cite their ends.
_REF = re.compile(r"§(?P<num>\d+(?:\.\d+)*)(?:\s+items?\s+(?P<item>\d+))?")
_RANGE = re.compile(r"§§\s*(?P<a>\d+)\s*[–-]\s*(?P<b>\d+)")


@functools.lru_cache(maxsize=1)
def _tracked() -> tuple[tuple[Path, str], ...] | None:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    paths = [REPO / p for p in out.decode().split("\0") if p]
    return tuple((p, p.read_text(encoding="utf-8", errors="replace"))
                 for p in paths if p.suffix in TEXT_SUFFIXES and p.is_file())


def tracked_files() -> tuple[tuple[Path, str], ...]:
    """(path, text) of every tracked text file."""
    files = _tracked()
    if files is None:
        pytest.skip("not a git checkout")
    return files


def doc_sections() -> tuple[set[str], dict[str, set[str]]]:
    """Section numbers of the doc, and the numbered items of each (sub)section."""
    sections: set[str] = set()
    items: dict[str, set[str]] = {}
    current = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^#{2,4} (\d+(?:\.\d+)*)\.?\s", line)
        if m:
            current = m.group(1)
            sections.add(current)
            continue
        m = re.match(r"^(\d+)\. ", line)
        if m and current:
            items.setdefault(current, set()).add(m.group(1))
    return sections, items


def references(text: str):
    for lineno, line in enumerate(text.splitlines(), start=1):
        for m in _RANGE.finditer(line):
            yield lineno, m.group("a"), None
            yield lineno, m.group("b"), None
        for m in _REF.finditer(line):
            if "RFC" in line[max(0, m.start() - 16):m.start()]:
                continue  # another document's numbering (RFC 9110 §6.4.1)
            if line[max(0, m.start() - 1):m.start()] == "§":
                continue  # the second § of a "§§" range, handled above
            yield lineno, m.group("num"), m.group("item")


def test_the_doc_keeps_the_section_numbers_code_relies_on():
    sections, items = doc_sections()
    for n in range(0, 13):
        assert str(n) in sections
    expected = {"1.1", "1.2", "2.1", "2.5", "3.1", "3.4", "4.1", "4.3", "6.1", "6.4", "9.1", "9.3",
                "10.1", "10.5", *(f"11.{i}" for i in range(1, 14)), *(f"12.{i}" for i in range(1, 15))}
    assert expected <= sections
    assert items["9.3"] == {str(i) for i in range(1, 7)}


def test_no_tracked_file_cites_the_research_notes():
    offenders = [str(p.relative_to(REPO)) for p, text in tracked_files() if RESEARCH in text]
    assert offenders == []


def test_every_section_reference_exists_in_the_doc():
    sections, items = doc_sections()
    missing = []
    for path, text in tracked_files():
        if path == Path(__file__).resolve():
            continue  # its own self-test cites made-up sections on purpose
        for lineno, num, item in references(text):
            rel = f"{path.relative_to(REPO)}:{lineno}"
            if num not in sections:
                missing.append(f"{rel}: §{num}")
            elif item is not None and item not in items.get(num, set()):
                missing.append(f"{rel}: §{num} item {item}")
    assert missing == []


def test_the_checker_sees_a_bad_reference():
    """The checks above can fail: a made-up section and a made-up item are reported."""
    sections, items = doc_sections()
    refs = list(references("see §99.1 and §9.3 item 42 and RFC 9110 §6.4.1"))
    assert [(n, i) for _, n, i in refs] == [("99.1", None), ("9.3", "42")]
    assert "99.1" not in sections and "42" not in items["9.3"]
