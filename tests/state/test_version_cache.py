"""The numbered-version content cache in the project's records (issue 13,
``agentctl.apply.version_cache``): what it keeps, what it ignores, and that failing to read or
write it never fails a command."""

from __future__ import annotations

import json

from agentctl.apply.version_cache import RECORD, RecordVersionCache
from agentctl.core.model import digest
from agentctl.errors import AgentctlError
from agentctl.locks import LocalBackend

CONTENT = {"agent": {"instruction": "Be kind."}, "action_groups": {}, "knowledge_bases": {},
           "collaborators": {}}


def test_entries_written_by_one_run_are_read_by_the_next(tmp_path):
    first = RecordVersionCache(LocalBackend(tmp_path))
    assert first.get("v1") is None
    first.put("v1", CONTENT)
    first.put("v1", CONTENT)  # once
    first.flush()
    first.flush()  # nothing new: no write
    lines = (tmp_path / ".agentctl" / RECORD).read_text().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0]) == {"key": "v1", "digest": digest(CONTENT), "content": CONTENT}
    again = RecordVersionCache(LocalBackend(tmp_path))
    assert again.get("v1") == CONTENT and again.get("v2") is None
    assert (again.hits, again.misses) == (1, 1)


def test_corrupt_lines_and_tampered_content_are_ignored(tmp_path):
    good = {"key": "good", "digest": digest(CONTENT), "content": CONTENT}
    tampered = {"key": "bad", "digest": digest(CONTENT),
                "content": {**CONTENT, "agent": {"instruction": "Be rude."}}}
    (tmp_path / ".agentctl").mkdir()
    (tmp_path / ".agentctl" / RECORD).write_text("\n".join([
        "{not json", json.dumps([1, 2]), json.dumps({"key": "nodigest", "content": CONTENT}),
        json.dumps(tampered), json.dumps(good)]) + "\n")
    cache = RecordVersionCache(LocalBackend(tmp_path))
    assert cache.get("good") == CONTENT
    assert cache.get("bad") is None and cache.get("nodigest") is None


class Broken:
    kind = "broken"

    def read(self, record):
        raise AgentctlError("cannot read the records file: denied")

    def append(self, record, text):
        raise OSError(28, "No space left on device")


def test_an_unreadable_or_unwritable_record_only_means_reading_versions_again():
    cache = RecordVersionCache(Broken())
    assert cache.get("v1") is None
    cache.put("v1", CONTENT)
    cache.flush()  # the failed append is not an error of the plan
    assert cache.get("v1") == CONTENT  # still known within this run
