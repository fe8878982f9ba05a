"""SQLite storage of the emulator's state and call log.

One file holds everything (resources as JSON documents, idempotency tokens, the call log), so a
server process and a CLI process can share it: WAL mode lets readers run while a writer commits,
every operation runs in one ``BEGIN IMMEDIATE`` transaction (all or nothing, and writers queue
instead of failing thanks to the busy timeout), and state survives restarts.

Resources are addressed by ``(kind, agent, version, rid)``; ``seq`` is a store-wide creation
counter that gives lists a stable order and pagination tokens an anchor; ``due`` is the time of
a pending asynchronous transition (see backend.settle), indexed so settling is one range query.

This module knows nothing about Bedrock semantics; it must not raise service errors.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

_SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    kind TEXT NOT NULL, agent TEXT NOT NULL, version TEXT NOT NULL, rid TEXT NOT NULL,
    seq INTEGER NOT NULL, doc TEXT NOT NULL, due REAL,
    PRIMARY KEY (kind, agent, version, rid)
);
CREATE INDEX IF NOT EXISTS resources_due ON resources(due) WHERE due IS NOT NULL;
CREATE TABLE IF NOT EXISTS tokens (
    operation TEXT NOT NULL, token TEXT NOT NULL, result TEXT NOT NULL,
    PRIMARY KEY (operation, token)
);
CREATE TABLE IF NOT EXISTS calls (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, operation TEXT NOT NULL, params TEXT NOT NULL,
    outcome TEXT NOT NULL, ts REAL NOT NULL, transport TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Row:
    kind: str
    agent: str
    version: str
    rid: str
    seq: int
    doc: dict[str, Any]


class Store:
    """A connection to one state file. Thread-safe: transactions of one Store are serialized."""

    def __init__(self, path: Path, *, busy_timeout: float = 30.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN IMMEDIATE / COMMIT ourselves, so every operation
        # is exactly one transaction and takes the write lock up front (no upgrade deadlocks).
        self._conn = sqlite3.connect(str(self.path), timeout=busy_timeout, isolation_level=None,
                                     check_same_thread=False)
        self._lock = threading.RLock()
        self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = NORMAL")
        # CREATE ... IF NOT EXISTS is safe when two processes open a new file at once.
        self._conn.executescript(_SCHEMA)

    @contextmanager
    def transaction(self) -> Iterator["Tx"]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class Tx:
    """Reads and writes inside one transaction."""

    def __init__(self, conn: sqlite3.Connection):
        self._c = conn

    # --- resources ----------------------------------------------------------------------------

    def get(self, kind: str, agent: str = "", version: str = "", rid: str = "") -> dict[str, Any] | None:
        row = self._c.execute("SELECT doc FROM resources WHERE kind=? AND agent=? AND version=? AND rid=?",
                              (kind, agent, version, rid)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, kind: str, agent: str, version: str, rid: str, doc: dict[str, Any],
            due: float | None = None) -> None:
        """Insert or replace; a replaced row keeps its ``seq`` (its place in lists)."""
        self._c.execute(
            "INSERT INTO resources(kind, agent, version, rid, seq, doc, due) VALUES (?, ?, ?, ?, "
            "(SELECT COALESCE(MAX(seq), 0) + 1 FROM resources), ?, ?) "
            "ON CONFLICT(kind, agent, version, rid) DO UPDATE SET doc=excluded.doc, due=excluded.due",
            (kind, agent, version, rid, json.dumps(doc, separators=(",", ":")), due))

    def delete(self, kind: str, agent: str = "", version: str = "", rid: str = "") -> None:
        self._c.execute("DELETE FROM resources WHERE kind=? AND agent=? AND version=? AND rid=?",
                        (kind, agent, version, rid))

    def delete_where(self, *, agent: str, kind: str | None = None, version: str | None = None) -> None:
        sql, args = "DELETE FROM resources WHERE agent=?", [agent]
        if kind is not None:
            sql, args = sql + " AND kind=?", args + [kind]
        if version is not None:
            sql, args = sql + " AND version=?", args + [version]
        self._c.execute(sql, args)

    def rows(self, kind: str, *, agent: str | None = None, version: str | None = None) -> list[Row]:
        sql, args = "SELECT kind, agent, version, rid, seq, doc FROM resources WHERE kind=?", [kind]
        if agent is not None:
            sql, args = sql + " AND agent=?", args + [agent]
        if version is not None:
            sql, args = sql + " AND version=?", args + [version]
        return [Row(k, a, v, r, s, json.loads(d))
                for k, a, v, r, s, d in self._c.execute(sql + " ORDER BY seq", args)]

    def due(self, now: float) -> list[Row]:
        cur = self._c.execute("SELECT kind, agent, version, rid, seq, doc FROM resources "
                              "WHERE due IS NOT NULL AND due <= ? ORDER BY due, seq", (now,))
        return [Row(k, a, v, r, s, json.loads(d)) for k, a, v, r, s, d in cur]

    def exists_id(self, rid: str) -> bool:
        return self._c.execute("SELECT 1 FROM resources WHERE rid=? LIMIT 1", (rid,)).fetchone() is not None

    # --- idempotency tokens -------------------------------------------------------------------

    def token_result(self, operation: str, token: str) -> dict[str, Any] | None:
        row = self._c.execute("SELECT result FROM tokens WHERE operation=? AND token=?",
                              (operation, token)).fetchone()
        return json.loads(row[0]) if row else None

    def remember_token(self, operation: str, token: str, result: dict[str, Any]) -> None:
        self._c.execute("INSERT OR REPLACE INTO tokens(operation, token, result) VALUES (?, ?, ?)",
                        (operation, token, json.dumps(result, separators=(",", ":"))))

    # --- call log -----------------------------------------------------------------------------

    def log_call(self, operation: str, params: dict[str, Any], outcome: str, ts: float, transport: str) -> None:
        self._c.execute("INSERT INTO calls(operation, params, outcome, ts, transport) VALUES (?, ?, ?, ?, ?)",
                        (operation, json.dumps(params, default=str, separators=(",", ":")), outcome, ts, transport))

    def calls(self, operation: str | None = None) -> list[tuple[int, str, dict[str, Any], str, float, str]]:
        sql, args = "SELECT seq, operation, params, outcome, ts, transport FROM calls", []
        if operation is not None:
            sql, args = sql + " WHERE operation=?", [operation]
        return [(s, o, json.loads(p), out, ts, t) for s, o, p, out, ts, t in self._c.execute(sql + " ORDER BY seq", args)]

    def clear_calls(self) -> None:
        self._c.execute("DELETE FROM calls")

    def clear_all(self) -> None:
        for table in ("resources", "tokens", "calls"):
            self._c.execute(f"DELETE FROM {table}")
