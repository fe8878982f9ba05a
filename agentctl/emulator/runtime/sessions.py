"""Runtime sessions and memory in the emulator's SQLite store.

A session (kind ``rt_session``, keyed by agent, alias and session id) holds the session
attributes, the conversation so far, the memory id it was opened with, its last use, and a pending
return-of-control (the tool calls handed to the caller and the turn's state needed to continue).
It lives until ``endSession`` or until it has been idle for the agent's
``idleSessionTTLInSeconds`` (checked lazily, whenever the agent is invoked or its memory is read).

Memory (kind ``rt_memory``): one SESSION_SUMMARY per ended session that had a memory id, keyed by
agent, alias, memory id and session id, with the shape GetAgentMemory returns. Retention follows
the agent's ``storageDays`` and ``sessionSummaryConfiguration.maxRecentSessions``. Memory is
scoped to the agent alias because GetAgentMemory / DeleteAgentMemory address it by alias
(UNCONFIRMED).

Must not: call models (summaries are written by the caller) or hold a transaction open across one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from agentctl.emulator.store import Tx

SESSION, MEMORY = "rt_session", "rt_memory"


@dataclass(frozen=True)
class Ended:
    """A session that ended (endSession or idle TTL) and may need a summary."""

    agent_id: str
    alias_id: str
    session_id: str
    memory_id: str | None
    started: float
    expired: float
    history: tuple[tuple[str, str], ...]


def load(tx: Tx, agent_id: str, alias_id: str, session_id: str) -> dict[str, Any] | None:
    return tx.get(SESSION, agent_id, alias_id, session_id)


def new(session_id: str, memory_id: str | None, now: float) -> dict[str, Any]:
    return {"sessionId": session_id, "memoryId": memory_id, "startedAt": now, "lastUsedAt": now,
            "sessionAttributes": {}, "history": [], "pending": None}


def save(tx: Tx, agent_id: str, alias_id: str, doc: Mapping[str, Any]) -> None:
    tx.put(SESSION, agent_id, alias_id, doc["sessionId"], dict(doc))


def end(tx: Tx, agent_id: str, alias_id: str, doc: Mapping[str, Any], now: float) -> Ended:
    tx.delete(SESSION, agent_id, alias_id, doc["sessionId"])
    return Ended(agent_id, alias_id, doc["sessionId"], doc.get("memoryId"), float(doc.get("startedAt", now)),
                 now, tuple((r, t) for r, t in doc.get("history") or []))


def is_idle(doc: Mapping[str, Any], ttl: int, now: float) -> bool:
    return now - float(doc.get("lastUsedAt", now)) > ttl


def expire_idle(tx: Tx, agent_id: str, ttl: int, now: float, *, alias_id: str | None = None) -> list[Ended]:
    """End every session of the agent (alias) idle for longer than ``ttl`` seconds."""
    out = []
    for row in tx.rows(SESSION, agent=agent_id):
        if alias_id is not None and row.version != alias_id:
            continue
        if is_idle(row.doc, ttl, now):
            # The session expired when its TTL ran out, not when it was noticed.
            expired_at = float(row.doc.get("lastUsedAt", now)) + ttl
            out.append(end(tx, agent_id, row.version, row.doc, expired_at))
    return out


def _rid(memory_id: str, session_id: str) -> str:
    return f"{memory_id}\x1f{session_id}"


def store_summary(tx: Tx, ended: Ended, text: str, memory_config: Mapping[str, Any], now: float) -> None:
    assert ended.memory_id is not None
    tx.put(MEMORY, ended.agent_id, ended.alias_id, _rid(ended.memory_id, ended.session_id), {
        "memoryId": ended.memory_id, "sessionId": ended.session_id,
        "sessionStartTime": ended.started, "sessionExpiryTime": ended.expired, "summaryText": text})
    prune(tx, ended.agent_id, ended.alias_id, ended.memory_id, memory_config, now)


def prune(tx: Tx, agent_id: str, alias_id: str, memory_id: str, memory_config: Mapping[str, Any],
          now: float) -> None:
    days = memory_config.get("storageDays")
    keep = (memory_config.get("sessionSummaryConfiguration") or {}).get("maxRecentSessions")
    items = summaries(tx, agent_id, alias_id, memory_id)
    for i, item in enumerate(items):
        too_old = days is not None and now - float(item["sessionExpiryTime"]) > float(days) * 86400
        too_many = keep is not None and i >= int(keep)
        if too_old or too_many:
            tx.delete(MEMORY, agent_id, alias_id, _rid(memory_id, item["sessionId"]))


def summaries(tx: Tx, agent_id: str, alias_id: str, memory_id: str) -> list[dict[str, Any]]:
    """Summaries of ``memory_id``, newest first."""
    items = [r.doc for r in tx.rows(MEMORY, agent=agent_id, version=alias_id) if r.doc.get("memoryId") == memory_id]
    return sorted(items, key=lambda d: (-float(d["sessionExpiryTime"]), d["sessionId"]))


def delete_memory(tx: Tx, agent_id: str, alias_id: str, memory_id: str | None, session_id: str | None) -> None:
    for row in tx.rows(MEMORY, agent=agent_id, version=alias_id):
        if memory_id is not None and row.doc.get("memoryId") != memory_id:
            continue
        if session_id is not None and row.doc.get("sessionId") != session_id:
            continue
        tx.delete(MEMORY, agent_id, alias_id, row.rid)
