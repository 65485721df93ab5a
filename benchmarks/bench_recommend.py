"""Benchmark: recommendations on the default demo (20k persons, ~1M events).

Trains on the loaded demo (DuckDB), evaluates with a time split, then serves
``GET /v1/profiles/{id}/recommendations`` from `cxm serve` started as a subprocess
and measures latency over real HTTP (keep-alive, one request at a time). Set
``CXM_BENCH_RECOMMEND_DB`` to an already loaded demo DuckDB file to skip generating
and loading it (~5 minutes); the file is copied, never changed.

    python -m benchmarks.run recommend
"""

from __future__ import annotations

import os
import random
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import loaded_demo_duckdb, percentiles_ms
from cxm.store import Database, open_database

TITLE = "Recommendations: serving latency, training, offline evaluation (issue 7 item 5)"
TARGETS = {
    "p99_ms": "< 10 ms (served over HTTP, all kinds)",
    "personalised_p_at_10": "above popularity_p_at_10",
}
NOTES = """
Serving: `cxm serve` (one worker, DuckDB, the demo's other background workers on),
API key with `profiles:read`, each request audited; random current profiles, half of
them with personalisation consent; warm (the model is loaded once, then held in
memory keyed by its version). A request resolves the identifier, checks consent in
the ledger, ranks from in-memory arrays and writes one audit row. Evaluation: train
before a split 75 days before the newest interaction, relevant = items a person
viewed, added or bought after it, minus what they had bought before (standard
P@10, R@10, NDCG@10, averaged over persons the model knows). The demo's taste
signal is weak next to its Zipf popularity: a ranking that knows each person's
category mix scores only ~10% above popularity, so the personalised margin is small.
Where the time goes (measured in-process on the same file while the machine was
busy): the audit-log insert each request must make is ~5 ms p50 / ~16 ms p99 on
DuckDB (one commit per request), API-key resolution ~0.5 ms p50 / ~11 ms p99, the
identifier lookup ~0.3 ms; this stage's own part (`in-process recommend()`) is
~0.05 ms p50. `/healthz` on the same server is the HTTP floor. On a quiet machine
the < 10 ms p99 target is met on all three setups (DuckDB 7.5 ms, DuckDB without the
stitcher 9.4 ms, PostgreSQL 4.4 ms); while six other engineers shared the 2 cores it was
35–53 ms. The margin on DuckDB is thin: the per-request audit commit dominates, and a
batched audit writer (auth) is the next step.
"""

SAMPLE = 400
WARM_UP = 30
KINDS = ("personalised", "related", "trending", "combined")


def _train_and_evaluate(database: Database) -> dict[str, dict[str, Any]]:
    from cxm.recommend.evaluate import evaluate
    from cxm.recommend.service import train_and_save

    newest = database.scalar(
        "SELECT max(timestamp) FROM events "
        "WHERE event IN ('Product Viewed', 'Product Added', 'Order Completed')"
    )
    split = (newest - timedelta(days=75)).replace(hour=0, minute=0, second=0, microsecond=0)
    result = evaluate(database, split, 10)
    evaluation: dict[str, Any] = {
        "split_date": f"{split:%Y-%m-%d}",
        "persons_evaluated": result.persons,
    }
    for kind, scores in result.kinds.items():
        # Text, so the report keeps four decimals (it prints floats with two).
        evaluation[f"{kind}_p_at_10"] = f"{scores.precision:.4f}"
        evaluation[f"{kind}_r_at_10"] = f"{scores.recall:.4f}"
        evaluation[f"{kind}_ndcg_at_10"] = f"{scores.ndcg:.4f}"
    began = time.perf_counter()
    summary = train_and_save(database)
    training = {
        "interactions": summary.interactions,
        "people": summary.people,
        "items": summary.items,
        "train_s_including_read": round(time.perf_counter() - began, 2),
    }
    return {"training (all events)": training, "evaluation (time split, k=10)": evaluation}


def _serve(
    url: str, key: str, profiles: list[str], env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Latency per kind over real HTTP; kinds interleaved so each sees the same load."""
    from tests.support.server import running_server

    samples: dict[str, list[float]] = {kind: [] for kind in (*KINDS, "healthz")}
    with (
        running_server(url, extra_env=env) as server,
        httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=10
        ) as client,
    ):
        for profile_id in profiles[:WARM_UP]:
            for kind in KINDS:
                client.get(f"/v1/profiles/{profile_id}/recommendations", params={"kind": kind})
        for profile_id in profiles:
            for kind in KINDS:
                began = time.perf_counter()
                response = client.get(
                    f"/v1/profiles/{profile_id}/recommendations", params={"kind": kind, "k": 10}
                )
                samples[kind].append((time.perf_counter() - began) * 1000)
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code}: {response.text}")
            began = time.perf_counter()
            client.get("/healthz")
            samples["healthz"].append((time.perf_counter() - began) * 1000)
    served = [value for kind in KINDS for value in samples[kind]]
    figures: dict[str, Any] = {"requests": len(served), **percentiles_ms(served)}
    for kind in (*KINDS, "healthz"):
        for name, value in percentiles_ms(samples[kind]).items():
            figures[f"{kind}_{name}"] = value
    return figures


def _in_process(database: Database, profiles: list[str]) -> dict[str, Any]:
    """What this stage adds to a request: consent (cached ledger) and in-memory ranking."""
    from cxm.recommend.service import recommend

    samples: list[float] = []
    for profile_id in profiles[:WARM_UP]:
        recommend(database, profile_id, "combined", 10)
    for profile_id in profiles:
        for kind in KINDS:
            began = time.perf_counter()
            recommend(database, profile_id, kind, 10)
            samples.append((time.perf_counter() - began) * 1000)
    return {
        "calls": len(samples),
        **{f"recommend_{k}": v for k, v in percentiles_ms(samples).items()},
    }


def _postgres_copy(duck: Database, admin_url: str, name: str) -> str:
    """The tables serving reads (not events) copied into a new PostgreSQL database."""
    from cxm.recommend.storage import load_model, save_model

    url = admin_url.rpartition("/")[0] + f"/{name}"
    target = open_database(url)
    try:
        for table in ("profiles", "identifiers", "consent_ledger"):
            target.append(table, duck.query_arrow(f"SELECT * FROM {table}"))
        model = load_model(duck)
        assert model is not None
        save_model(target, model, 0)
        target.execute("ANALYZE")
    finally:
        target.close()
    return url


def run() -> dict[str, dict[str, Any]]:
    import psycopg

    from cxm.auth import create_api_key
    from cxm.privacy.consent import record_consent

    admin_url = os.environ.get(
        "CXM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    name = f"cxm_bench_{uuid.uuid4().hex[:10]}"
    with tempfile.TemporaryDirectory() as folder:
        path = loaded_demo_duckdb(Path(folder), "recommend.duckdb", "CXM_BENCH_RECOMMEND_DB")
        url = f"duckdb:///{path}"
        database = open_database(url)
        try:
            results = _train_and_evaluate(database)
            current = [
                r[0]
                for r in database.query(
                    "SELECT profile_id FROM profiles WHERE merged_into IS NULL ORDER BY profile_id"
                )
            ]
            profiles = random.Random(7).sample(current, min(SAMPLE, len(current)))
            for profile_id in profiles[::2]:
                record_consent(
                    database, profile_id, "personalisation", "*", "granted", source="bench"
                )
            _, key = create_api_key(database, "bench", ["profiles:read"], "bench")
            results["in-process recommend() (no HTTP, auth, lookup or audit)"] = _in_process(
                database, profiles
            )
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            pg_url = _postgres_copy(database, admin_url, name)
        finally:
            database.close()  # the server process becomes the file's only owner
        try:
            results["serve DuckDB (cxm serve defaults)"] = _serve(url, key, profiles)
            results["serve DuckDB (identity stitcher off)"] = _serve(
                url, key, profiles, {"CXM_IDENTITY_STITCH_INTERVAL_SECONDS": "0"}
            )
            pg = open_database(pg_url)
            try:
                _, pg_key = create_api_key(pg, "bench", ["profiles:read"], "bench")
            finally:
                pg.close()
            results["serve PostgreSQL (cxm serve defaults)"] = _serve(pg_url, pg_key, profiles)
        finally:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return results


if __name__ == "__main__":
    print(run())
