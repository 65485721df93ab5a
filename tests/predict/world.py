"""A small synthetic shop whose churners are known, written straight into the tables.

Churners (a third) go silent about ten days before the cutoff after a burst of
reopened support tickets with low CSAT; everyone else keeps browsing and buying
after the cutoff. Rows are appended in bulk (Arrow), so both backends load it fast.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa

from cxm.store import Database

START = datetime(2025, 1, 1, tzinfo=UTC)
CUTOFF = datetime(2025, 10, 1, tzinfo=UTC)
END = CUTOFF + timedelta(days=90)
TS = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class World:
    profiles: list[str]
    churners: set[str]
    service_churners: set[str]  # churners whose tickets are the signal


def _key(message_id: str) -> str:
    return str(uuid.UUID(hashlib.md5(f"src-test\x1f{message_id}".encode()).hexdigest()))


def build_world(database: Database, n: int = 240, seed: int = 7) -> World:
    rng = np.random.default_rng(seed)
    profiles = [f"p{i:04d}" for i in range(n)]
    churn = rng.random(n) < 0.35
    service = churn & (rng.random(n) < 0.7)
    database.append(
        "profiles",
        pa.table(
            {
                "profile_id": profiles,
                "created_at": pa.array([START] * n, TS),
                "updated_at": pa.array([START] * n, TS),
                "merged_into": pa.array([None] * n, pa.string()),
            }
        ),
    )
    ev: dict[str, list[object]] = {k: [] for k in ("pid", "ts", "event", "channel")}
    orders: dict[str, list[object]] = {k: [] for k in ("pid", "ts", "amount")}
    tickets: dict[str, list[object]] = {k: [] for k in ("pid", "ts", "reopened", "csat")}
    span = (END - START).total_seconds()
    for i, pid in enumerate(profiles):
        last = (CUTOFF - timedelta(days=int(rng.integers(8, 20)))) if churn[i] else END
        count = int(rng.integers(15, 40))
        for s in np.sort(rng.random(count)):
            at = START + timedelta(seconds=float(s) * span)
            if at >= last:
                break
            ev["pid"].append(pid)
            ev["ts"].append(at)
            ev["event"].append("Product Viewed" if rng.random() < 0.8 else "Email Opened")
            ev["channel"].append("web" if rng.random() < 0.7 else "email")
        for k in range(int(rng.integers(2, 6))):
            at = START + timedelta(seconds=float(rng.random()) * span)
            if at < last:
                orders["pid"].append(pid)
                orders["ts"].append(at)
                orders["amount"].append(float(rng.gamma(4.0, 15.0)) + k)
        wants_ticket = service[i] or (not churn[i] and rng.random() < 0.1)
        if wants_ticket:
            for _ in range(int(rng.integers(2, 4)) if service[i] else 1):
                at = CUTOFF - timedelta(days=float(rng.uniform(15, 60)))
                tickets["pid"].append(pid)
                tickets["ts"].append(at)
                tickets["reopened"].append(bool(service[i] and rng.random() < 0.7))
                tickets["csat"].append(int(rng.integers(1, 3)) if service[i] else 4)
    m = len(ev["pid"])
    ids = [f"m{j}" for j in range(m)]
    database.append(
        "events",
        pa.table(
            {
                "event_key": [_key(x) for x in ids],
                "source_id": ["src-test"] * m,
                "message_id": ids,
                "type": ["track"] * m,
                "event": ev["event"],
                "timestamp": pa.array(ev["ts"], TS),
                "received_at": pa.array(ev["ts"], TS),
                "channel": ev["channel"],
                "raw": ["{}"] * m,
                "profile_id": ev["pid"],
            }
        ),
    )
    k = len(orders["pid"])
    database.append(
        "orders",
        pa.table(
            {
                "source": ["shop"] * k,
                "order_id": [f"o{j}" for j in range(k)],
                "customer_id": orders["pid"],
                "timestamp": pa.array(orders["ts"], TS),
                "amount": orders["amount"],
                "currency": ["EUR"] * k,
                "imported_at": pa.array([END] * k, TS),
                "profile_id": orders["pid"],
            }
        ),
    )
    t = len(tickets["pid"])
    database.append(
        "tickets",
        pa.table(
            {
                "source": ["helpdesk"] * t,
                "ticket_id": [f"t{j}" for j in range(t)],
                "customer_id": tickets["pid"],
                "created_at": pa.array(tickets["ts"], TS),
                "resolved_at": pa.array(
                    [x + timedelta(hours=30) for x in tickets["ts"]],  # type: ignore[operator]
                    TS,
                ),
                "contacts_count": [2] * t,
                "reopened": tickets["reopened"],
                "csat": tickets["csat"],
                "imported_at": pa.array([END] * t, TS),
                "profile_id": tickets["pid"],
            }
        ),
    )
    return World(
        profiles=profiles,
        churners={p for p, c in zip(profiles, churn, strict=True) if c},
        service_churners={p for p, c in zip(profiles, service, strict=True) if c},
    )
