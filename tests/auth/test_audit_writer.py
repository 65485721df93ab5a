"""The audit log's group commit: every entry is stored before ``record_audit``
returns, concurrent entries share commits, and a failed commit fails every caller
whose entry it held (no request may answer without its audit entry)."""

from __future__ import annotations

import threading

import pytest

from cxm.auth.audit import _writer, list_audit, record_audit
from cxm.store import Database

THREADS = 12
BURSTS = 4


def _audit(database: Database, actor: str) -> None:
    record_audit(
        database,
        actor=actor,
        via="api",
        action="profile.view",
        resource="GET /v1/profiles/{identifier}",
        subject="p1",
        outcome="ok",
    )


def test_entries_are_stored_before_returning(database: Database) -> None:
    _audit(database, "alice")
    # Read straight from the table, as another process would after the response.
    assert database.query("SELECT actor, action FROM audit_log") == [("alice", "profile.view")]


def test_concurrent_entries_share_commits_and_all_arrive(database: Database) -> None:
    writer = _writer(database)
    before = writer.commits
    returned: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def burst(index: int) -> None:
        for round_number in range(BURSTS):
            start.wait()
            try:
                _audit(database, f"user-{index}-{round_number}")
                returned.append(f"user-{index}-{round_number}")
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

    threads = [threading.Thread(target=burst, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    entries = THREADS * BURSTS
    stored = {e.actor for e in list_audit(database, limit=entries + 10)}
    assert stored == set(returned) and len(stored) == entries
    # Callers released together (a barrier per burst) wait for one commit and then
    # go in the next one together, so there are fewer commits than entries.
    assert writer.commits - before < entries


def test_a_failed_commit_fails_every_caller(database: Database) -> None:
    database.execute("DROP TABLE audit_log")
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def call(index: int) -> None:
        start.wait()
        try:
            _audit(database, f"user-{index}")
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(errors) == 4
    with pytest.raises(Exception):  # noqa: B017 - any storage error; the table is gone
        _audit(database, "after")
