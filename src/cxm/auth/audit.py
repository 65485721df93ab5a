"""The audit log: who read or changed personal data, through which door, with what outcome.

The subject is a profile id when one was resolved, else ``sha256:<hex>`` of the
identifier asked for, so the log itself holds no customer's personal data and
survives that customer's erasure.
"""

from __future__ import annotations

import threading
import uuid
import weakref
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime

from cxm.auth.tokens import sha256_hex
from cxm.store import Database

OK = "ok"
NOT_FOUND = "not_found"
INVALID = "invalid"
DENIED = "denied"
FAILED = "failed"


@dataclass(frozen=True)
class AuditEntry:
    audit_id: str
    occurred_at: datetime
    actor: str
    via: str
    action: str
    resource: str
    subject: str | None
    outcome: str


def identifier_subject(identifier: str) -> str:
    return "sha256:" + sha256_hex(identifier.strip().lower())


_COLUMNS = "audit_id, occurred_at, actor, via, action, resource, subject, outcome"
_ROW = "(?, ?, ?, ?, ?, ?, ?, ?)"


class _GroupCommit:
    """Audit entries of concurrent requests committed together, each caller still
    returning only once the transaction holding its entry has committed.

    The first caller to find no commit running becomes the leader: it takes every
    entry waiting and commits them in one multi-row INSERT; callers arriving
    meanwhile wait, and when it is done one of them leads the next group. A
    sequential client pays one commit per entry as before; under concurrent load
    one commit (one WAL flush) serves the whole group instead of queueing commits.
    No background thread: nothing to start, stop or lose at exit.
    """

    def __init__(self, database: Database) -> None:
        self._database = database
        self._ready = threading.Condition()
        self._pending: list[tuple[list[object], Future[None]]] = []
        self._writing = False
        self.commits = 0  # transactions made, for tests and diagnostics

    def write(self, row: list[object]) -> None:
        done: Future[None] = Future()
        with self._ready:
            self._pending.append((row, done))
            while self._writing and not done.done():
                self._ready.wait()
            if done.done():
                return done.result()  # re-raises a failed commit
            self._writing = True
            group, self._pending = self._pending, []
        try:
            self._commit(group)
        finally:
            with self._ready:
                self._writing = False
                self._ready.notify_all()
        return done.result()

    def _commit(self, group: list[tuple[list[object], Future[None]]]) -> None:
        try:
            # One statement is one (autocommitted) transaction: no BEGIN/COMMIT round trips.
            self._database.execute(
                f"INSERT INTO audit_log ({_COLUMNS}) VALUES " + ", ".join([_ROW] * len(group)),
                [value for row, _ in group for value in row],
            )
            self.commits += 1
        except BaseException as error:  # every waiter learns its entry was not stored
            for _, done in group:
                done.set_exception(error)
            raise
        for _, done in group:
            done.set_result(None)


_WRITERS: weakref.WeakKeyDictionary[Database, _GroupCommit] = weakref.WeakKeyDictionary()
_WRITERS_LOCK = threading.Lock()


def _writer(database: Database) -> _GroupCommit:
    with _WRITERS_LOCK:
        writer = _WRITERS.get(database)
        if writer is None:
            writer = _WRITERS[database] = _GroupCommit(database)
        return writer


def record_audit(
    database: Database,
    *,
    actor: str,
    via: str,
    action: str,
    resource: str,
    subject: str | None,
    outcome: str,
) -> None:
    """Append one entry, durably (committed) before returning. ``via`` is api, web or
    cli; ``action`` e.g. profile.view, privacy.erase."""
    row: list[object] = [
        uuid.uuid4().hex, datetime.now(UTC), actor, via, action, resource, subject, outcome,
    ]  # fmt: skip
    _writer(database).write(row)


def list_audit(
    database: Database,
    *,
    limit: int = 100,
    actor: str | None = None,
    action: str | None = None,
    subject: str | None = None,
) -> list[AuditEntry]:
    """Newest first, optionally filtered; ``subject`` may be a profile id or an identifier."""
    where, params = [], []
    if actor:
        where.append("actor = ?")
        params.append(actor)
    if action:
        where.append("action = ?")
        params.append(action)
    if subject:
        where.append("subject IN (?, ?)")
        params += [subject, identifier_subject(subject)]
    clause = f"WHERE {' AND '.join(where)} " if where else ""
    rows = database.query(
        "SELECT audit_id, occurred_at, actor, via, action, resource, subject, outcome "
        f"FROM audit_log {clause}ORDER BY occurred_at DESC LIMIT ?",
        [*params, limit],
    )
    return [AuditEntry(*row) for row in rows]
