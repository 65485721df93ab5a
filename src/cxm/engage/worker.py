"""The engage stage's background work inside ``cxm serve``, and the outbox dispatcher.

Threads:

* **engine**: the collector hands every committed event batch to a queue (a commit
  listener, so the commit path only pays a ``put``). The engine attributes each event
  to a profile (identifier lookup; events of people the stitcher has not seen yet wait
  and are retried for ``_PENDING_SECONDS``), enters journeys and wakes waiting runs.
  Nothing else runs on this thread: it is the event → action path. It records how
  far it got (``engage/progress.py``), and a starting worker first re-reads the live
  events received since, so a restart or a crash loses no trigger.
* **segments**: the engine passes it the persons of each pass; it re-evaluates their
  membership (a pass picks up everyone queued meanwhile), watches other stages' tables,
  runs a full recompute every ``_RECOMPUTE_SECONDS``, and hands entries back to the
  engine thread (segment-triggered journeys are decided there, one writer of runs).
  Measured: re-evaluating segments on the engine thread took ~40% of its time at
  1,000 events/s and delayed every webhook behind it.
* **sender / ack**: rows the engine committed already claimed are sent at once (a
  thread pool, so one slow receiver does not hold the rest); acknowledgements and the
  delivery events (``Message Sent`` / ``Message Failed``) are written off that path.
* **dispatcher**: claims due outbox rows (deferred, retries, rows of a process that
  died), sends them, acknowledges or schedules a retry with exponential back-off,
  dead-letters after ``max_attempts``.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import orjson
import pyarrow as pa

from cxm.engage.config import EngageSettings, get_engage_settings
from cxm.engage.engine import Engine, EventFact
from cxm.engage.outbox import OutboxRow, ack_many, claim, fail, skip
from cxm.engage.progress import Progress
from cxm.engage.segments import SegmentChange, list_segments, recompute, update_profiles
from cxm.engage.senders import SendError, perform, webhook_secret
from cxm.engage.survey_relay import relay_due_invitations
from cxm.engage.system_events import event_row, system_source, write_events
from cxm.settings import Settings
from cxm.store import Database

log = logging.getLogger(__name__)
_PENDING_SECONDS = 30.0
_RECOMPUTE_SECONDS = 900.0
# Other stages' tables segments read, watched for rows newer than the last look, so a
# new NPS answer or score moves its person within about a second, not at the next recompute.
_WATCHED = (
    ("survey_answers", "answered_at"),
    ("profile_scores", "scored_at"),
    ("lifecycle_stages", "updated_at"),
)
_WATCH_SECONDS = 0.5
# Segment passes at most this often, each taking everyone queued since the last: a pass
# costs a few queries whatever its size, and back-to-back passes (one per engine pass)
# took a core's worth of DuckDB scans at 100 events/s. Well inside the 1 s target.
_SEGMENT_PASS_SECONDS = 0.25
_RETRY_SECONDS = 0.5
# Waits are minutes to days long: looking for due runs ten times a second is plenty,
# and keeps that scan of journey_runs off most engine passes.
_DUE_SECONDS = 0.1
_MAX_PENDING = 50_000
# How often the engine records how far it has handled the collector's events.
_CHECKPOINT_SECONDS = 1.0
_CLAIM_BATCH = 200
_RELAY_SECONDS = 5.0
_ACK_GATHER_SECONDS = 0.25
# Test hook: exit the process right after sending, before the ack (crash test only).
_CRASH_AFTER_SEND = "CXM_ENGAGE_TEST_CRASH_AFTER_SEND"


@dataclass
class _Pending:
    event_key: str
    event: str | None
    user_id: str | None
    anonymous_id: str | None
    properties: dict[str, Any]
    timestamp: datetime
    first_seen: float
    profile_id: str | None = None
    journeys_done: bool = False
    received_at: datetime | None = None  # None: not from the collector (engage's own)


# -- dispatcher --------------------------------------------------------------------------
def _delivery_rows(
    database: Database, done: list[tuple[OutboxRow, str, str]]
) -> list[dict[str, Any]]:
    rows = []
    for row, status, detail in done:
        name = {"sent": "Message Sent", "dead": "Message Failed"}.get(status)
        if name is None or not row.profile_id:
            continue
        rows.append(
            event_row(
                system_source(database),
                profile_id=row.profile_id,
                event=name,
                message_id=f"delivery:{row.idempotency_key}:{status}",
                properties={
                    "message_id": row.message_id,
                    "journey_id": row.journey_id,
                    "action": row.action,
                    "channel": row.channel,
                    "detail": detail[:200],
                },
            )
        )
    return rows


def _send(
    database: Database, row: OutboxRow, settings: EngageSettings, client: httpx.Client
) -> tuple[OutboxRow, str, str]:
    """Carry out one row; (row, sent|skipped|failed, detail). Writes nothing."""
    try:
        result = perform(database, row, settings, client)
    except SendError as error:
        return row, "failed", str(error)
    except Exception as error:  # a bug in one action must not stop the dispatcher
        log.exception("outbox row %s failed", row.message_id)
        return row, "failed", repr(error)
    return row, result.status, result.response


def _record(
    database: Database, results: list[tuple[OutboxRow, str, str]], settings: EngageSettings
) -> dict[str, int]:
    """Acknowledge the batch: one UPDATE per distinct response for the sent rows (the
    common case), one per failed or skipped row, then the delivery events together."""
    outcomes: dict[str, int] = {}
    done: list[tuple[OutboxRow, str, str]] = []
    sent: dict[str, list[OutboxRow]] = {}
    for row, status, detail in results:
        if status == "sent":
            sent.setdefault(detail, []).append(row)
        elif status == "skipped":
            skip(database, row, detail)
            outcomes["skipped"] = outcomes.get("skipped", 0) + 1
        else:
            final = fail(database, row, detail, settings.max_attempts, settings.backoff_seconds)
            outcomes[final] = outcomes.get(final, 0) + 1
            done.append((row, final, detail))
    for detail, rows in sent.items():
        acked = ack_many(database, rows, detail)
        outcomes["sent"] = outcomes.get("sent", 0) + len(acked)
        done.extend((row, "sent", detail) for row in acked)
    events = _delivery_rows(database, done)
    if events:
        write_events(database, events)
    return outcomes


def dispatch_once(
    database: Database,
    settings: EngageSettings | None = None,
    pool: ThreadPoolExecutor | None = None,
    client: httpx.Client | None = None,
    relay: bool = True,
) -> dict[str, int]:
    """Claim and carry out every due row once; return counts by outcome. With ``relay``,
    voc's due e-mail/SMS survey invitations are enqueued first."""
    settings = settings or get_engage_settings()
    own_client = client is None
    http = client or httpx.Client(timeout=settings.send_timeout_seconds)
    outcomes: dict[str, int] = {}
    if relay:
        relay_due_invitations(database)
    try:
        while True:
            rows = claim(database, _CLAIM_BATCH, settings.claim_lease_seconds)
            if not rows:
                break
            if pool is None or len(rows) == 1:
                results = [_send(database, r, settings, http) for r in rows]
            else:
                results = list(pool.map(lambda r: _send(database, r, settings, http), rows))
            if os.environ.get(_CRASH_AFTER_SEND) == "1":
                os._exit(9)  # test hook: die after sending, before acknowledging
            for status, count in _record(database, results, settings).items():
                outcomes[status] = outcomes.get(status, 0) + count
            if len(rows) < _CLAIM_BATCH:
                break
    finally:
        if own_client:
            http.close()
    return outcomes


# -- engine loop --------------------------------------------------------------------------
def _user_values(pending: list[_Pending]) -> tuple[list[str], list[str]]:
    users = sorted({p.user_id for p in pending if p.user_id})
    anonymous = sorted({p.anonymous_id for p in pending if p.anonymous_id})
    return users, anonymous


def attribute(database: Database, pending: list[_Pending]) -> None:
    """Fill ``profile_id`` from the identifier graph (user id, anonymous id, or a user id
    that is a known record id). One query per 500 values; never a scan of ``events``."""
    todo = [p for p in pending if p.profile_id is None]
    if not todo:
        return
    users, anonymous = _user_values(todo)
    owners: dict[tuple[str, str], str] = {}
    for kind, values in (("user", users), ("anonymous_id", anonymous)):
        types = (
            "(id_type = 'user_id' OR id_type LIKE 'record:%')"
            if kind == "user"
            else "id_type = 'anonymous_id'"
        )
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            for value, profile_id in database.query(
                f"SELECT id_value, profile_id FROM identifiers WHERE {types} "
                f"AND id_value IN ({marks}) AND profile_id IS NOT NULL AND NOT shared",
                chunk,
            ):
                owners.setdefault((kind, str(value)), str(profile_id))
    for p in todo:
        p.profile_id = owners.get(("user", p.user_id or "")) or owners.get(
            ("anonymous_id", p.anonymous_id or "")
        )


def _uuid_text(key: object) -> str:
    """The key as the databases print a UUID (hyphenated), whatever form it came in."""
    try:
        return str(uuid.UUID(str(key)))
    except ValueError:
        return str(key)


@dataclass
class _SegmentEntries:
    """Segment changes found by the segments thread, for the engine thread to act on."""

    changes: list[SegmentChange]


def _facts_from(table: pa.Table, now: float) -> list[_Pending]:
    columns = table.select(
        ["event_key", "event", "user_id", "anonymous_id", "properties", "timestamp"]
    ).to_pydict()
    received: list[datetime | None] = (
        table.column("received_at").to_pylist()
        if "received_at" in table.column_names
        else [None] * table.num_rows
    )
    out = []
    for key, event, user_id, anonymous_id, properties, timestamp, received_at in zip(
        columns["event_key"],
        columns["event"],
        columns["user_id"],
        columns["anonymous_id"],
        columns["properties"],
        columns["timestamp"],
        received,
        strict=True,
    ):
        try:
            props = orjson.loads(properties) if properties else {}
        except orjson.JSONDecodeError:
            props = {}
        out.append(
            _Pending(
                _uuid_text(key),
                event,
                user_id,
                anonymous_id,
                props if isinstance(props, dict) else {},
                timestamp,
                now,
                received_at=received_at,
            )
        )
    return out


class EngageWorker:
    def __init__(
        self,
        database: Database,
        settings: EngageSettings | None = None,
        listen_url: str | None = None,
    ) -> None:
        """``listen_url``: take committed events from API processes over PostgreSQL
        LISTEN/NOTIFY (``cxm engage worker``) instead of this process's collector."""
        self.database = database
        self._listen_url = listen_url
        self.settings = settings or get_engage_settings()
        self._token = "worker_" + uuid.uuid4().hex
        self._ready: queue.Queue[list[OutboxRow]] = queue.Queue()
        self._acks: queue.Queue[list[tuple[OutboxRow, str, str]] | None] = queue.Queue()
        self.engine = Engine(database, self.settings, self._token, self._ready.put)
        self._inbox: queue.Queue[pa.Table | _Pending | _SegmentEntries] = queue.Queue()
        self._people: queue.Queue[list[str]] = queue.Queue()
        self._stop = threading.Event()
        self._wake_dispatcher = threading.Event()
        self._pending: list[_Pending] = []
        self._last_recompute = time.monotonic()
        self._last_relay = 0.0
        self._last_watch = 0.0
        self._last_retry = 0.0
        self._last_due = 0.0
        self._work_checked = -1e9
        self._work = True
        self._watermarks: dict[str, datetime] = {}
        self._progress = Progress(database)
        # Senders mostly wait on receivers: enough threads that 1,000 webhooks/s with a
        # few ms of round trip each do not queue behind one another.
        self._pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="cxm-engage-send")
        self._client = httpx.Client(timeout=self.settings.send_timeout_seconds)
        self._remove_listener: Callable[[], None] = _nothing
        self._threads = [
            threading.Thread(target=self._engine_loop, name="cxm-engage-engine", daemon=True),
            threading.Thread(target=self._dispatch_loop, name="cxm-engage-dispatch", daemon=True),
            threading.Thread(target=self._send_loop, name="cxm-engage-send", daemon=True),
            threading.Thread(target=self._ack_loop, name="cxm-engage-ack", daemon=True),
            threading.Thread(target=self._segment_loop, name="cxm-engage-segments", daemon=True),
        ]

    def on_commit(self, table: pa.Table) -> None:
        self._inbox.put(table)

    def submit(self, pending: _Pending) -> None:
        self._inbox.put(pending)

    def start(self) -> EngageWorker:
        # Resolve (and, the first time, create) the signing secret on one thread: 32
        # sender threads racing to create it collided on its key and failed their first
        # sends (retried, but seconds late).
        webhook_secret(self.database, self.settings)
        # Listen first, then catch up: an event committed in between arrives twice,
        # which entering by (journey, trigger key) makes harmless; one missed is not.
        self._start_listening()
        for table in self._progress.missed():
            self._inbox.put(table)
        for thread in self._threads:
            thread.start()
        return self

    def _start_listening(self) -> None:
        if self._listen_url is not None:
            from cxm.engage.feed import NotifyFeed

            self._remove_listener = (
                NotifyFeed(self.database, self._listen_url, self.on_commit).start().stop
            )
        else:
            from cxm.collect.writer import add_commit_listener

            self._remove_listener = add_commit_listener(self.database, self.on_commit)

    def stop(self) -> None:
        self._remove_listener()
        if _RUNNING.get(id(self.database)) is self:
            del _RUNNING[id(self.database)]
        self._stop.set()
        self._wake_dispatcher.set()
        self._ready.put([])
        self._people.put([])
        for thread in (*self._threads[:3], self._threads[4]):
            thread.join(timeout=10)
        self._acks.put(None)  # after the senders: what they sent is still acknowledged
        self._threads[3].join(timeout=10)
        self._pool.shutdown(wait=True)
        self._client.close()

    # engine thread
    def _engine_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("engage engine tick failed")
                time.sleep(0.5)

    def tick(self) -> None:
        items: list[pa.Table | _Pending | _SegmentEntries] = []
        try:
            items.append(self._inbox.get(timeout=self.settings.poll_seconds))
            while True:
                items.append(self._inbox.get_nowait())
        except queue.Empty:
            pass
        now = time.monotonic()
        entries: list[SegmentChange] = []
        for item in items:
            if isinstance(item, _SegmentEntries):
                entries.extend(item.changes)
            elif isinstance(item, _Pending):
                item.first_seen = now
                self._pending.append(item)
            else:
                arrived = _facts_from(item, now)
                self._progress.seen(p.received_at for p in arrived)
                self._pending.extend(arrived)
        if len(self._pending) > _MAX_PENDING:  # unknown visitors flooding in: oldest go
            self._pending = self._pending[-_MAX_PENDING:]
        if self._pending and not self._has_work():
            self._pending = []  # no active journey and no segment: nothing to react to
        fresh = [p for p in self._pending if p.first_seen == now]
        if self._pending and (fresh or now - self._last_retry >= _RETRY_SECONDS):
            # New events at once; people not known yet again only every half second
            # (the stitcher's pace), so unknown visitors cost little under load.
            if now - self._last_retry >= _RETRY_SECONDS:
                self._last_retry = now
                attribute(self.database, self._pending)
            else:
                attribute(self.database, fresh)
            ready = [p for p in self._pending if p.profile_id is not None]
            if ready:
                facts = [
                    EventFact(str(p.profile_id), p.event, p.properties, p.event_key, p.timestamp)
                    for p in ready
                ]
                if self.engine.handle_events(facts):
                    self._wake_dispatcher.set()
                self._people.put(sorted({str(p.profile_id) for p in ready}))
            self._pending = [
                p
                for p in self._pending
                if p.profile_id is None and now - p.first_seen < _PENDING_SECONDS
            ]
        self._progress.save_every(_CHECKPOINT_SECONDS, now, (p.received_at for p in self._pending))
        if entries and self.engine.handle_segment_changes(entries):
            self._wake_dispatcher.set()
        if now - self._last_due >= _DUE_SECONDS and self._has_work():
            self._last_due = now
            if self.engine.run_due():
                self._wake_dispatcher.set()

    def _has_work(self) -> bool:
        """Any active journey or any segment? Checked at most every two seconds."""
        now = time.monotonic()
        if now - self._work_checked > 2.0:
            self._work_checked = now
            self._work = bool(self.engine.journeys()) or bool(
                self.database.scalar("SELECT count(*) FROM segments")
            )
        return self._work

    def _watch(self, now: float) -> list[str]:
        """Persons with new rows in the watched tables since the last look."""
        if now - self._last_watch < _WATCH_SECONDS:
            return []
        self._last_watch = now
        tables = set(self.database.table_names())
        people: set[str] = set()
        for table, column in _WATCHED:
            if table not in tables:
                continue
            mark = self._watermarks.get(table)
            if mark is None:
                latest = self.database.scalar(f"SELECT max({column}) FROM {table}")
                self._watermarks[table] = latest or datetime.now().astimezone()
                continue
            rows = self.database.query(
                f"SELECT profile_id, {column} FROM {table} WHERE {column} > ? "
                "AND profile_id IS NOT NULL",
                [mark],
            )
            for profile_id, seen in rows:
                people.add(str(profile_id))
                if seen is not None and seen > self._watermarks[table]:
                    self._watermarks[table] = seen
        return sorted(people)

    # segments thread
    def _segment_loop(self) -> None:
        while not self._stop.is_set():
            self._stop.wait(_SEGMENT_PASS_SECONDS)
            try:
                people = self._people.get(timeout=_WATCH_SECONDS)
            except queue.Empty:
                people = []
            try:
                while True:  # everyone queued while the last pass ran, in one pass
                    people = people + self._people.get_nowait()
            except queue.Empty:
                pass
            try:
                changes = self._segments(time.monotonic(), people)
            except Exception:
                log.exception("engage segment pass failed")
                time.sleep(0.5)
                continue
            if changes:
                self._inbox.put(_SegmentEntries(changes))

    def _segments(self, now: float, people: list[str]) -> list[SegmentChange]:
        segments = list_segments(self.database)
        if not segments:
            return []
        changes: list[SegmentChange] = []
        watched = self._watch(now)
        if watched:
            changes += update_profiles(self.database, watched, segments)
        if people:
            # Attributed persons are re-evaluated at once, counting their events the
            # stitcher has not attributed yet through their known identifiers.
            changes += update_profiles(
                self.database, sorted(set(people)), segments, unstitched=True
            )
        if now - self._last_recompute > _RECOMPUTE_SECONDS:
            self._last_recompute = now
            for segment in segments:
                _, found = recompute(self.database, segment.segment_id)
                changes += found
        return changes

    # sender thread: rows the engine just committed, already claimed by this worker
    def _send_loop(self) -> None:
        while not self._stop.is_set():
            rows = self._ready.get()
            try:
                while True:
                    rows = rows + self._ready.get_nowait()
            except queue.Empty:
                pass
            if not rows:
                continue
            try:
                if len(rows) == 1:
                    results = [_send(self.database, rows[0], self.settings, self._client)]
                else:
                    results = list(
                        self._pool.map(
                            lambda r: _send(self.database, r, self.settings, self._client), rows
                        )
                    )
            except Exception:
                log.exception("engage send failed")
                continue
            self._acks.put(results)

    # ack thread: acknowledgements and delivery events off the sending path
    def _ack_loop(self) -> None:
        last = False
        while not last:
            results = self._acks.get()
            if results is None:
                return
            # Gather a while: one transaction (and one append of delivery events) per
            # ~0.25 s rather than per send batch. Acks are off the latency path; the
            # lease (30 s) is what a crash before them costs.
            deadline = time.monotonic() + _ACK_GATHER_SECONDS
            while (remaining := deadline - time.monotonic()) > 0:
                try:
                    more = self._acks.get(timeout=remaining)
                except queue.Empty:
                    break
                if more is None:
                    last = True
                    break
                results = results + more
            try:
                _record(self.database, results, self.settings)
            except Exception:
                log.exception("engage acknowledgement failed; the lease will re-send")

    # dispatcher thread: everything else due (deferred, retries, other processes' rows)
    def _dispatch_loop(self) -> None:
        while not self._stop.is_set():
            self._wake_dispatcher.wait(timeout=max(self.settings.poll_seconds * 10, 0.2))
            self._wake_dispatcher.clear()
            # Invitations are scheduled minutes to days ahead: looking for due ones every
            # few seconds is enough, not on every wake of this loop (5 times a second).
            now = time.monotonic()
            relay = now - self._last_relay >= _RELAY_SECONDS
            if relay:
                self._last_relay = now
            try:
                dispatch_once(self.database, self.settings, self._pool, self._client, relay)
            except Exception:
                log.exception("engage dispatch failed")
                time.sleep(0.5)


_RUNNING: dict[int, EngageWorker] = {}


def _nothing() -> None:
    return None


def notify(
    database: Database,
    profile_id: str,
    event: str,
    properties: dict[str, Any],
    event_key: str,
    when: datetime,
) -> None:
    """Hand an event engage wrote itself (already attributed) to this process's worker."""
    worker = _RUNNING.get(id(database))
    if worker is not None:
        worker.submit(
            _Pending(
                _uuid_text(event_key),
                event,
                None,
                None,
                properties,
                when,
                time.monotonic(),
                profile_id,
            )
        )


def start(database: Database, settings: Settings) -> Any:
    """Start this stage's background work; return an object with ``stop()``, or None."""
    engage = get_engage_settings()  # engage reads its own CXM_ENGAGE_* settings
    if not engage.worker:
        if engage.notify and database.dialect == "postgresql":
            from cxm.engage.feed import Notifier

            return Notifier(database, settings.database_url).start()
        return None
    worker = EngageWorker(database).start()
    _RUNNING[id(database)] = worker
    return worker
