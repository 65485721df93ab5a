"""The journey engine: enter people on triggers, move their runs step by step.

Everything a step decides (the run's new position, its step log, an outbox row or a
blocked send) is written in one transaction per batch, so a crash leaves either the
whole decision or none of it. Holdout members (a sticky hash of journey + person)
are entered and measured but get no action at all.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from string import Template
from typing import Any

import orjson
import pyarrow as pa

from cxm.engage.config import EngageSettings, get_engage_settings
from cxm.engage.guards import Person, decide_send, load_person, next_local_time
from cxm.engage.journeys import Journey, list_journeys
from cxm.engage.outbox import OutboxRow
from cxm.engage.program import END, Instruction, Program
from cxm.engage.segments import SegmentChange, _matching
from cxm.privacy.consent import ConsentEntry, consent_history
from cxm.privacy.consent_check import Decision, consent_defaults, decide
from cxm.store import Database, Transaction

log = logging.getLogger(__name__)
_ACTIVE_STATES = ("running", "waiting", "waiting_event")


@dataclass(frozen=True)
class EventFact:
    """One committed event, already attributed to a profile."""

    profile_id: str
    event: str | None
    properties: dict[str, Any]
    event_key: str
    timestamp: datetime


@dataclass
class Run:
    run_id: str
    journey_id: str
    profile_id: str
    grp: str
    entered_at: datetime
    state: str
    step: int
    trigger: dict[str, Any] = field(default_factory=dict)


class _Batch:
    """Writes of one engine pass, flushed together in its transaction (Arrow appends):
    a DuckDB statement costs ~0.3–1 ms, so per-entry INSERTs capped the engine near
    200 entries/s. Reads that must see earlier decisions of the same pass (caps, re-entry)
    consult the buffer too."""

    def __init__(self, tx: Transaction) -> None:
        self.tx = tx
        self.new_runs: dict[str, dict[str, Any]] = {}
        self.logs: list[tuple[str, str, str, int, str, str, datetime]] = []
        self.outbox: list[dict[str, Any]] = []
        self.consent: dict[tuple[str, str, str], Any] = {}
        self.entered: dict[tuple[str, str], tuple[int, datetime | None]] = {}
        self.seen_keys: set[tuple[str, str]] = set()
        self.ledger: dict[str, list[ConsentEntry]] = {}
        self.ready: list[OutboxRow] = []

    def buffered(self, profile_id: str, channel: str | None, since: datetime) -> int:
        return sum(
            1
            for row in self.outbox
            if row["profile_id"] == profile_id
            and row["status"] in ("pending", "claimed", "sent", "dead")
            and row["channel"] is not None
            and (channel is None or row["channel"] == channel)
            and row["created_at"] >= since
        )

    def flush(self) -> None:
        tx = self.tx
        if self.new_runs:
            rows = list(self.new_runs.values())
            tx.append("journey_runs", pa.Table.from_pylist(rows, schema=_RUN_SCHEMA))
        if self.logs:
            columns = list(zip(*self.logs, strict=True))
            tx.append(
                "journey_step_log",
                pa.table(
                    {
                        "run_id": pa.array(columns[0], pa.string()),
                        "journey_id": pa.array(columns[1], pa.string()),
                        "profile_id": pa.array(columns[2], pa.string()),
                        "step": pa.array(columns[3], pa.int32()),
                        "kind": pa.array(columns[4], pa.string()),
                        "outcome": pa.array(columns[5], pa.string()),
                        "logged_at": pa.array(columns[6], _TS),
                    }
                ),
            )
        # A run entered in this pass has a fresh random id, so its keys (run.step) cannot
        # be stored yet: a plain append (the UNIQUE constraint still guards it). Rows of
        # older runs go through the deduplicating append, which serialises on a lock.
        fresh = [row for row in self.outbox if row["run_id"] in self.new_runs]
        older = [row for row in self.outbox if row["run_id"] not in self.new_runs]
        if fresh:
            tx.append("engage_outbox", pa.Table.from_pylist(fresh, schema=_OUTBOX_SCHEMA))
        if older:
            tx.append(
                "engage_outbox",
                pa.Table.from_pylist(older, schema=_OUTBOX_SCHEMA),
                ("idempotency_key",),
            )


_TS = pa.timestamp("us", tz="UTC")
_RUN_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("journey_id", pa.string()),
        ("profile_id", pa.string()),
        ("grp", pa.string()),
        ("trigger_key", pa.string()),
        ("entered_at", _TS),
        ("state", pa.string()),
        ("step", pa.int32()),
        ("wake_at", _TS),
        ("wait_event", pa.string()),
        ("timeout_step", pa.int32()),
        ("updated_at", _TS),
        ("ended_reason", pa.string()),
    ]
)
_OUTBOX_SCHEMA = pa.schema(
    [
        ("message_id", pa.string()),
        ("idempotency_key", pa.string()),
        ("journey_id", pa.string()),
        ("run_id", pa.string()),
        ("profile_id", pa.string()),
        ("step", pa.int32()),
        ("action", pa.string()),
        ("channel", pa.string()),
        ("payload", pa.string()),
        ("status", pa.string()),
        ("block_reason", pa.string()),
        ("attempts", pa.int32()),
        ("not_before", _TS),
        ("claim_token", pa.string()),
        ("claimed_at", _TS),
        ("created_at", _TS),
    ]
)


# Run and message ids: a random per-process prefix and a counter, 32 hex digits like a
# uuid4. uuid4 reads os.urandom per id, two per entry; profiled under load it was a
# fifth of the engine thread's time. Unique across processes by the 64-bit prefix.
_ID_PREFIX = os.urandom(8).hex()
_ID_COUNTER = itertools.count()


def _reseed_ids() -> None:
    """A forked child must not repeat its parent's ids."""
    global _ID_PREFIX, _ID_COUNTER
    _ID_PREFIX, _ID_COUNTER = os.urandom(8).hex(), itertools.count()


os.register_at_fork(after_in_child=_reseed_ids)


def _new_id() -> str:
    return f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"


def holdout_bucket(journey_id: str, profile_id: str) -> float:
    """A person's sticky position 0 ≤ x < 100 for one journey (same every time)."""
    digest = hashlib.sha256(f"{journey_id}:{profile_id}".encode()).hexdigest()
    return int(digest[:8], 16) % 10_000 / 100


def matches(filters: dict[str, Any], properties: dict[str, Any]) -> bool:
    for key, wanted in filters.items():
        value: Any = properties
        for part in str(key).split("."):
            value = value.get(part) if isinstance(value, dict) else None
        text = (
            None if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        )
        options = wanted if isinstance(wanted, list) else [wanted]
        if text not in [str(o).lower() if isinstance(o, bool) else str(o) for o in options]:
            return False
    return True


def _first_name(database: Database, profile_id: str) -> str:
    rows = database.query(
        "SELECT first_name FROM customer_records WHERE profile_id = ? AND first_name IS NOT NULL "
        "LIMIT 1",
        [profile_id],
    )
    return str(rows[0][0]) if rows else ""


def _needs_person(spec: dict[str, Any]) -> bool:
    action = spec.get("action")
    return action in ("email", "sms", "offer") or (
        action == "webhook" and spec.get("channel") is not None
    )


def _pick(templates: dict[str, Any], language: str) -> Any:
    return templates.get(language) or templates.get("en") or next(iter(templates.values()))


class Engine:
    """``claim_token`` / ``on_ready``: when given (the server's worker), rows due at once
    are written already claimed by that token and handed over in memory after the
    commit, so the dispatcher sends them without a claim round trip. Should the process
    die first, the claim's lease runs out and any dispatcher claims them again."""

    def __init__(
        self,
        database: Database,
        settings: EngageSettings | None = None,
        claim_token: str | None = None,
        on_ready: Callable[[list[OutboxRow]], None] | None = None,
    ) -> None:
        self.database = database
        self.settings = settings or get_engage_settings()
        self.claim_token = claim_token
        self.on_ready = on_ready
        self._journeys: list[tuple[Journey, Program]] = []
        self._by_event: dict[str, list[tuple[Journey, Program]]] = {}
        self._by_id: dict[str, tuple[Journey, Program]] = {}
        self._awaited: set[str] = set()
        self._loaded_at = 0.0
        self._defaults = consent_defaults()

    # -- journeys ---------------------------------------------------------------------
    def journeys(self, refresh_seconds: float = 2.0) -> list[tuple[Journey, Program]]:
        if time.monotonic() - self._loaded_at > refresh_seconds:
            self.reload()
        return self._journeys

    def reload(self) -> None:
        loaded = []
        for journey in list_journeys(self.database, "active"):
            try:
                loaded.append((journey, journey.program))
            except ValueError:
                log.warning("journey %s no longer compiles; skipped", journey.journey_id)
        by_event: dict[str, list[tuple[Journey, Program]]] = {}
        for journey, program in loaded:
            definition = journey.definition
            names = {
                definition["trigger"].get("event"),
                (definition.get("exit") or {}).get("event"),
            }
            for name in names - {None}:
                by_event.setdefault(str(name), []).append((journey, program))
        # Event names some active run may be waiting for: an event of no such name
        # cannot resume anything, so most passes skip that query of journey_runs.
        awaited = {
            str(step.spec["event"])
            for _, program in loaded
            for step in program.steps
            if step.kind == "wait_event"
        }
        self._journeys = loaded
        self._by_event = by_event
        self._by_id = {journey.journey_id: (journey, program) for journey, program in loaded}
        self._awaited = awaited
        self._loaded_at = time.monotonic()

    def _program(self, journey_id: str) -> tuple[Journey, Program] | None:
        self.journeys()
        return self._by_id.get(journey_id)

    # -- inputs -----------------------------------------------------------------------
    def handle_events(self, facts: list[EventFact], now: datetime | None = None) -> int:
        """Triggers, waits for an event, exit criteria. Returns runs entered."""
        now = now or datetime.now(UTC)
        self.journeys()
        entries: list[tuple[Journey, Program, str, str, dict[str, Any]]] = []
        exits: dict[str, set[str]] = {}
        for fact in facts:
            if fact.event is None:
                continue
            for journey, program in self._by_event.get(fact.event, ()):
                definition = journey.definition
                trigger = definition["trigger"]
                if trigger.get("event") == fact.event and matches(
                    trigger.get("where", {}), fact.properties
                ):
                    trigger_info = {"event": fact.event, "event_key": fact.event_key}
                    entries.append(
                        (journey, program, fact.profile_id, fact.event_key, trigger_info)
                    )
                exit_spec = definition.get("exit")
                if (
                    exit_spec
                    and exit_spec["event"] == fact.event
                    and matches(exit_spec.get("where", {}), fact.properties)
                ):
                    exits.setdefault(journey.journey_id, set()).add(fact.profile_id)
        entered = 0
        if entries or exits:
            with self.database.transaction() as tx:
                batch = _Batch(tx)
                for journey_id, people in exits.items():
                    self._exit(tx, journey_id, people, "exit event", now)
                self._prefetch(batch, entries)
                for journey, program, profile_id, key, trigger in entries:
                    entered += self._enter(batch, journey, program, profile_id, key, trigger, now)
                batch.flush()
            self._hand_over(batch)
        self._resume_waiting(facts, now)
        return entered

    def handle_segment_changes(
        self, changes: list[SegmentChange], now: datetime | None = None
    ) -> int:
        now = now or datetime.now(UTC)
        names = {
            str(r[0]): str(r[1])
            for r in self.database.query("SELECT segment_id, name FROM segments")
        }
        entries: list[tuple[Journey, Program, str, str, dict[str, Any]]] = []
        for journey, program in self.journeys():
            wanted = journey.definition["trigger"].get("segment")
            if wanted is None:
                continue
            for change in changes:
                if change.kind == "entered" and wanted in (
                    change.segment_id,
                    names.get(change.segment_id),
                ):
                    key = f"segment:{change.segment_id}:{change.at.isoformat()}"
                    info = {"segment_id": change.segment_id}
                    entries.append((journey, program, change.profile_id, key, info))
        entered = 0
        if entries:
            with self.database.transaction() as tx:
                batch = _Batch(tx)
                self._prefetch(batch, entries)
                for journey, program, profile_id, key, info in entries:
                    entered += self._enter(batch, journey, program, profile_id, key, info, now)
                batch.flush()
            self._hand_over(batch)
        return entered

    def run_due(self, now: datetime | None = None, limit: int = 500) -> int:
        """Wake runs whose wait is over (timeouts of event waits included)."""
        now = now or datetime.now(UTC)
        rows = self.database.query(
            "SELECT run_id, journey_id, profile_id, grp, entered_at, state, step, timeout_step "
            "FROM journey_runs WHERE state IN ('waiting', 'waiting_event') AND wake_at <= ? "
            "ORDER BY wake_at LIMIT ?",
            [now, limit],
        )
        if not rows:
            return 0
        with self.database.transaction() as tx:
            batch = _Batch(tx)
            for run_id, journey_id, profile_id, grp, entered_at, state, step, timeout in rows:
                found = self._program(journey_id)
                if found is None:
                    continue  # paused or deleted: the run waits until it is active again
                journey, program = found
                run = Run(run_id, journey_id, profile_id, grp, entered_at, "running", step)
                if state == "waiting_event":
                    self._log(batch, run, step, "wait_event", "timeout", now)
                    run.step = timeout
                self._advance(batch, journey, program, run, now)
            batch.flush()
        self._hand_over(batch)
        return len(rows)

    def _hand_over(self, batch: _Batch) -> None:
        if batch.ready and self.on_ready is not None:
            self.on_ready(batch.ready)

    # -- runs -------------------------------------------------------------------------
    def _prefetch(
        self, batch: _Batch, entries: list[tuple[Journey, Program, str, str, dict[str, Any]]]
    ) -> None:
        """One query for the re-entry facts of every (journey, person) in this pass."""
        people = sorted({e[2] for e in entries})
        # Re-entry "always" needs neither the active count nor the last entry (only
        # the trigger-key check below), so those people skip this scan of journey_runs.
        limited = sorted({e[2] for e in entries if e[0].definition.get("reentry") != "always"})
        for start in range(0, len(limited), 500):
            chunk = limited[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            for journey_id, profile_id, active, last in batch.tx.query(
                "SELECT journey_id, profile_id, sum(CASE WHEN state IN "
                "('running', 'waiting', 'waiting_event') THEN 1 ELSE 0 END), max(entered_at) "
                f"FROM journey_runs WHERE profile_id IN ({marks}) GROUP BY journey_id, profile_id",
                chunk,
            ):
                batch.entered[(str(journey_id), str(profile_id))] = (int(active or 0), last)
        for start in range(0, len(people), 500):
            # Everyone's consent ledger in one query: a per-person query cost ~8 ms on
            # DuckDB, most of the engine's time per entry.
            chunk = people[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            for person in chunk:
                batch.ledger[person] = []
            for row in batch.tx.query(
                "SELECT entry_id, profile_id, identifier, purpose, channel, status, "
                "recorded_at, source, wording_version, ip, user_agent FROM consent_ledger "
                f"WHERE profile_id IN ({marks}) ORDER BY recorded_at, entry_id",
                chunk,
            ):
                batch.ledger[str(row[1])].append(ConsentEntry(*row))
        keys = sorted({e[3] for e in entries} | {f"once:{p}" for p in limited})
        seen: set[tuple[str, str]] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            seen.update(
                (str(j), str(k))
                for j, k in batch.tx.query(
                    "SELECT journey_id, trigger_key FROM journey_runs "
                    f"WHERE trigger_key IN ({marks})",
                    chunk,
                )
            )
        batch.seen_keys = seen

    def _enter(
        self,
        batch: _Batch,
        journey: Journey,
        program: Program,
        profile_id: str,
        key: str,
        trigger: dict[str, Any],
        now: datetime,
    ) -> int:
        definition = journey.definition
        reentry = definition.get("reentry", "never")
        active, last = batch.entered.get((journey.journey_id, profile_id), (0, None))
        if reentry != "always" and active:
            return 0
        if (
            isinstance(reentry, dict)
            and last is not None
            and last > now - timedelta(days=float(reentry["after_days"]))
        ):
            return 0
        trigger_key = f"once:{profile_id}" if reentry == "never" else key
        if (journey.journey_id, trigger_key) in batch.seen_keys:
            return 0  # this trigger (or this person, for "never") entered already
        batch.seen_keys.add((journey.journey_id, trigger_key))
        holdout = float(definition.get("holdout_percent", 0))
        grp = "holdout" if holdout_bucket(journey.journey_id, profile_id) < holdout else "treated"
        run = Run(
            "run_" + _new_id(),
            journey.journey_id,
            profile_id,
            grp,
            now,
            "running",
            program.entry,
            trigger,
        )
        batch.new_runs[run.run_id] = {
            "run_id": run.run_id,
            "journey_id": run.journey_id,
            "profile_id": profile_id,
            "grp": grp,
            "trigger_key": trigger_key,
            "entered_at": now,
            "state": "held_out" if grp == "holdout" else "running",
            "step": program.entry,
            "wake_at": None,
            "wait_event": None,
            "timeout_step": None,
            "updated_at": now,
            "ended_reason": None,
        }
        still_active = 0 if grp == "holdout" else 1
        batch.entered[(journey.journey_id, profile_id)] = (active + still_active, now)
        if grp == "holdout":
            self._log(batch, run, -1, "entry", "held_out", now)
            return 1
        self._log(batch, run, -1, "entry", "entered", now)
        self._advance(batch, journey, program, run, now)
        return 1

    def _exit(
        self, tx: Transaction, journey_id: str, people: set[str], why: str, now: datetime
    ) -> None:
        for profile_id in people:
            tx.execute(
                "UPDATE journey_runs SET state = 'exited', ended_reason = ?, updated_at = ? "
                "WHERE journey_id = ? AND profile_id = ? AND state IN "
                "('running', 'waiting', 'waiting_event')",
                [why, now, journey_id, profile_id],
            )

    def _resume_waiting(self, facts: list[EventFact], now: datetime) -> None:
        awaited = self._awaited
        people = sorted({f.profile_id for f in facts if f.event in awaited})
        if not people:
            return
        rows = []
        for start in range(0, len(people), 500):
            chunk = people[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows.extend(
                self.database.query(
                    "SELECT run_id, journey_id, profile_id, grp, entered_at, step, wait_event "
                    f"FROM journey_runs WHERE state = 'waiting_event' AND profile_id IN ({marks})",
                    chunk,
                )
            )
        if not rows:
            return
        with self.database.transaction() as tx:
            batch = _Batch(tx)
            for run_id, journey_id, profile_id, grp, entered_at, step, wait_event in rows:
                found = self._program(journey_id)
                if found is None:
                    continue
                journey, program = found
                instruction = program.at(step)
                hit = any(
                    f.profile_id == profile_id
                    and f.event == wait_event
                    and f.timestamp >= entered_at
                    and matches(instruction.spec.get("where", {}), f.properties)
                    for f in facts
                )
                if not hit:
                    continue
                run = Run(run_id, journey_id, profile_id, grp, entered_at, "running", step)
                self._log(batch, run, step, "wait_event", "event", now)
                run.step = instruction.next
                self._advance(batch, journey, program, run, now)
            batch.flush()
        self._hand_over(batch)

    def _log(
        self, batch: _Batch, run: Run, step: int, kind: str, outcome: str, now: datetime
    ) -> None:
        batch.logs.append(
            (run.run_id, run.journey_id, run.profile_id, step, kind, outcome[:300], now)
        )

    def _save(
        self,
        batch: _Batch,
        run: Run,
        state: str,
        now: datetime,
        *,
        wake_at: datetime | None = None,
        wait_event: str | None = None,
        timeout_step: int | None = None,
        reason: str | None = None,
    ) -> None:
        fresh = batch.new_runs.get(run.run_id)
        if fresh is not None:
            fresh.update(
                state=state,
                step=run.step,
                wake_at=wake_at,
                wait_event=wait_event,
                timeout_step=timeout_step,
                updated_at=now,
                ended_reason=reason,
            )
            if state not in _ACTIVE_STATES:
                active, last = batch.entered.get((run.journey_id, run.profile_id), (1, now))
                batch.entered[(run.journey_id, run.profile_id)] = (max(0, active - 1), last)
            return
        batch.tx.execute(
            "UPDATE journey_runs SET state = ?, step = ?, wake_at = ?, wait_event = ?, "
            "timeout_step = ?, updated_at = ?, ended_reason = ? WHERE run_id = ?",
            [state, run.step, wake_at, wait_event, timeout_step, now, reason, run.run_id],
        )

    def _advance(
        self, batch: _Batch, journey: Journey, program: Program, run: Run, now: datetime
    ) -> None:
        person: Person | None = None
        for _ in range(len(program.steps) + 1):  # a program has no loops; this bounds it
            if run.step == END:
                self._save(batch, run, "done", now, reason="completed")
                return
            step = program.at(run.step)
            if step.kind == "exit":
                self._log(batch, run, step.index, "exit", "exited", now)
                self._save(batch, run, "exited", now, reason="exit step")
                return
            if step.kind == "wait":
                if "minutes" in step.spec:
                    wake = now + timedelta(minutes=float(step.spec["minutes"]))
                else:
                    person = person or load_person(self.database, run.profile_id, self.settings)
                    wake = next_local_time(now, person.timezone, str(step.spec["until"]))
                self._log(batch, run, step.index, "wait", "waiting", now)
                run.step = step.next
                self._save(batch, run, "waiting", now, wake_at=wake)
                return
            if step.kind == "wait_event":
                wake = now + timedelta(minutes=float(step.spec["timeout_minutes"]))
                self._log(batch, run, step.index, "wait_event", "waiting", now)
                self._save(
                    batch,
                    run,
                    "waiting_event",
                    now,
                    wake_at=wake,
                    wait_event=str(step.spec["event"]),
                    timeout_step=step.timeout_next,
                )
                return
            if step.kind == "condition":
                found, _ = _matching(self.database, step.spec["if"], [run.profile_id])
                branch = 0 if run.profile_id in found else 1
                outcome = "then" if branch == 0 else "else"
                self._log(batch, run, step.index, "condition", outcome, now)
                run.step = step.branches[branch]
                continue
            if step.kind == "split":
                digest = hashlib.sha256(f"{run.run_id}:{step.index}".encode()).hexdigest()
                point = int(digest[:8], 16) % 10_000 / 100
                chosen, total = len(step.weights) - 1, 0.0
                for i, weight in enumerate(step.weights):
                    total += weight
                    if point < total:
                        chosen = i
                        break
                self._log(batch, run, step.index, "split", f"branch {chosen}", now)
                run.step = step.branches[chosen]
                continue
            if person is None and _needs_person(step.spec):
                person = load_person(self.database, run.profile_id, self.settings)
            self._act(batch, journey, run, step, person, now)
            run.step = step.next
        self._save(batch, run, "done", now, reason="step limit")

    # -- actions ----------------------------------------------------------------------
    def _consent(self, batch: _Batch) -> Callable[[str, str, str], Decision]:
        def check(profile_id: str, purpose: str, channel: str) -> Decision:
            key = (profile_id, purpose, channel)
            if key not in batch.consent:
                # The run's profile id is current (attributed this pass): the ledger
                # directly, the same rule as may_contact without its identifier lookup.
                if profile_id not in batch.ledger:
                    batch.ledger[profile_id] = consent_history(self.database, profile_id)
                entries = batch.ledger[profile_id]
                batch.consent[key] = decide(entries, purpose, channel, self._defaults)
            decision: Decision = batch.consent[key]
            return decision

        return check

    def _act(
        self,
        batch: _Batch,
        journey: Journey,
        run: Run,
        step: Instruction,
        person: Person | None,
        now: datetime,
    ) -> None:
        spec = step.spec
        action = str(spec["action"])
        purpose = str(journey.definition.get("purpose", "marketing"))
        contact = action in ("email", "sms", "offer") or (
            action == "webhook" and spec.get("channel") is not None
        )
        channel: str | None = None
        if action == "email":
            channel = "email"
        elif action == "sms":
            channel = str(spec.get("channel", "sms"))
        elif action == "offer" or contact:
            channel = str(spec.get("channel", "email"))
        consent = self._consent(batch)
        if action == "webhook" and not contact:
            # An integration call about the person: consent for the purpose on any channel.
            decision = consent(run.profile_id, purpose, "*")
            verdict_outcome = "send" if decision.allowed else "blocked"
            reason = "allowed" if decision.allowed else f"consent: {decision.reason}"
            not_before = now
        else:
            verdict = decide_send(
                self.database,
                batch.tx,
                person,
                purpose,
                channel,
                now,
                self.settings,
                batch.buffered,
                consent,
            )
            verdict_outcome, reason = verdict.outcome, verdict.reason
            not_before = verdict.not_before
            channel = verdict.channel
        row: dict[str, Any] = {
            "message_id": "msg_" + _new_id(),
            "idempotency_key": f"{run.run_id}.{step.index}",
            "journey_id": journey.journey_id,
            "run_id": run.run_id,
            "profile_id": run.profile_id,
            "step": step.index,
            "action": action,
            "channel": channel,
            "attempts": 0,
            "created_at": now,
        }
        if verdict_outcome == "blocked":
            row.update(
                payload=orjson.dumps({"kind": action}).decode(),
                status="blocked",
                block_reason=reason,
                not_before=now,
            )
            batch.outbox.append(row)
            self._log(batch, run, step.index, action, f"blocked: {reason}", now)
            return
        payload = self._payload(batch.tx, journey, run, step, person, channel, now)
        row.update(
            payload=orjson.dumps(payload).decode(),
            status="pending",
            block_reason=reason if verdict_outcome == "deferred" else None,
            not_before=not_before,
        )
        if self.claim_token is not None and not_before <= now:
            row.update(status="claimed", claim_token=self.claim_token, claimed_at=now)
            batch.ready.append(
                OutboxRow(
                    row["message_id"],
                    row["idempotency_key"],
                    journey.journey_id,
                    run.run_id,
                    run.profile_id,
                    action,
                    channel,
                    payload,
                    0,
                    self.claim_token,
                )
            )
        batch.outbox.append(row)
        outcome = "queued" if verdict_outcome == "send" else f"deferred: {reason}"
        self._log(batch, run, step.index, action, outcome, now)

    def _payload(
        self,
        tx: Transaction,
        journey: Journey,
        run: Run,
        step: Instruction,
        person: Person | None,
        channel: str | None,
        now: datetime,
    ) -> dict[str, Any]:
        spec = step.spec
        action = str(spec["action"])
        values: dict[str, Any] = {
            "profile_id": run.profile_id,
            "journey": journey.name,
            "first_name": "",
        }
        if action in ("email", "sms", "offer"):
            values["first_name"] = _first_name(self.database, run.profile_id)
        if action == "offer":
            offer = tx.query(
                "SELECT title, code, discount FROM engage_offers WHERE offer_id = ? OR code = ?",
                [spec["offer"], spec["offer"]],
            )
            title, code, discount = (
                offer[0] if offer else (str(spec["offer"]), str(spec["offer"]), "")
            )
            personal = hashlib.sha256(run.run_id.encode()).hexdigest()[:6].upper()
            values.update(
                offer_title=title, offer_code=f"{code}-{personal}", discount=discount or ""
            )
        if action == "webhook":
            return {
                "kind": "webhook",
                "url": spec["url"],
                "body": {
                    "journey_id": journey.journey_id,
                    "journey": journey.name,
                    "run_id": run.run_id,
                    "profile_id": run.profile_id,
                    "step": step.index,
                    "trigger": run.trigger,
                    "data": spec.get("data", {}),
                    "decided_at": now.isoformat(),
                },
            }
        if action in ("email", "sms", "offer"):
            assert person is not None
        if person is not None and action in ("email", "offer") and channel == "email":
            template = _pick(spec["templates"], person.language)
            return {
                "kind": "email",
                "to": person.email,
                "language": person.language,
                "subject": Template(str(template.get("subject", ""))).safe_substitute(values),
                "body": Template(str(template["body"])).safe_substitute(values),
                "offer_code": values.get("offer_code"),
            }
        if person is not None and action in ("sms", "offer"):
            text = spec.get("text") or _pick(spec.get("templates", {}), person.language).get(
                "body", ""
            )
            if isinstance(text, dict):
                text = _pick(text, person.language)
            return {
                "kind": "sms",
                "to": person.phone,
                "language": person.language,
                "text": Template(str(text)).safe_substitute(values),
                "offer_code": values.get("offer_code"),
            }
        if action == "survey":
            return {
                "kind": "survey",
                "survey_id": spec["survey_id"],
                "touchpoint": spec.get("touchpoint"),
                "channel": spec.get("channel", "email"),
            }
        if action == "case":
            return {
                "kind": "case",
                "reason": spec.get("reason", "manual"),
                "note": spec.get("note"),
            }
        return {"kind": "set_trait", "traits": spec["traits"]}


def payload_text(payload: dict[str, Any]) -> str:
    return orjson.dumps(payload).decode()
