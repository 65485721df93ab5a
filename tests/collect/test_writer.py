"""The group-commit writer: shared commits under concurrency, failures reach every waiter."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from cxm.collect.messages import normalise_message
from cxm.collect.rows import events_table
from cxm.collect.sources import Source, create_source
from cxm.collect.writer import GroupCommitWriter, WriterStopped
from cxm.store import Database

NOW = datetime(2026, 2, 1, tzinfo=UTC)


def _row(source: Source, message_id: str) -> dict[str, object]:
    message = {"type": "track", "userId": "u", "event": "E", "messageId": message_id}
    return normalise_message(message, source=source, received_at=NOW)


def _table(source: Source, message_id: str) -> pa.Table:
    return events_table([_row(source, message_id)])


class CountingWriter(GroupCommitWriter):
    commits = 0

    def _commit(self, group):  # type: ignore[no-untyped-def]
        CountingWriter.commits += 1
        super()._commit(group)


def test_concurrent_submissions_share_commits_and_all_are_stored(database: Database) -> None:
    source = create_source(database, "web")
    CountingWriter.commits = 0
    writer = CountingWriter(database, gather_seconds=0.005)
    barrier = threading.Barrier(16)

    def submit(n: int) -> None:
        barrier.wait()
        for i in range(10):
            writer.submit(_table(source, f"{n}-{i}"), [], source.source_id).result(timeout=10)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    assert database.scalar("SELECT count(*) FROM events") == 160
    assert CountingWriter.commits < 160


def test_failed_commit_is_reported_and_the_writer_goes_on(database: Database) -> None:
    source = create_source(database, "web")
    writer = GroupCommitWriter(database)
    # Same key column, different type: the commit fails inside the database.
    broken = _table(source, "bad").set_column(0, "event_key", pa.array(["not-a-uuid"]))
    with pytest.raises(Exception):  # noqa: B017 - any storage error must reach the caller
        writer.submit(broken, [], source.source_id).result(timeout=10)
    assert writer.submit(_table(source, "good"), [], source.source_id).result(timeout=10) == 1
    writer.close()
    assert database.query("SELECT message_id FROM events") == [("good",)]


def test_closed_writer_refuses_new_work(database: Database) -> None:
    source = create_source(database, "web")
    writer = GroupCommitWriter(database)
    writer.close()
    with pytest.raises(WriterStopped):
        writer.submit(_table(source, "late"), [], source.source_id)


def test_submission_with_only_quarantined_rows_commits(database: Database) -> None:
    source = create_source(database, "web")
    writer = GroupCommitWriter(database)
    assert writer.submit([], [], source.source_id).result(timeout=10) == 0
    assert writer.submit(_table(source, "after"), [], source.source_id).result(timeout=10) == 1
    writer.close()
    assert database.scalar("SELECT count(*) FROM events") == 1


def test_commit_listener_sees_committed_rows_and_cannot_break_the_writer(
    database: Database,
) -> None:
    from cxm.collect.writer import add_commit_listener

    seen: list[int] = []

    def broken(_: object) -> None:
        raise RuntimeError("listener bug")

    remove_broken = add_commit_listener(database, broken)
    remove = add_commit_listener(database, lambda table: seen.append(table.num_rows))
    writer = GroupCommitWriter(database)
    try:
        source = create_source(database, "listener-test")
        rows = [_row(source, f"m-{i}") for i in range(3)]
        assert writer.submit(rows, [], source.source_id).result(timeout=10) == 3
        deadline = time.monotonic() + 5
        while not seen and time.monotonic() < deadline:
            time.sleep(0.01)
        assert seen == [3]
        remove()
        remove_broken()
        assert writer.submit([_row(source, "m-9")], [], source.source_id).result(timeout=10) == 1
        assert seen == [3]
    finally:
        writer.close()
