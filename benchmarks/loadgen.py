"""Load generator run as its own process: `python -m benchmarks.loadgen batch URL KEY N C`.

Pre-builds every request body so the generator is not what gets measured, sends
them over C keep-alive connections, and prints one JSON line of results.

`python -m benchmarks.loadgen rate URL KEY FILE PER_SECOND` offers prepared batches
(FILE: a JSON list of message lists) at a fixed pace, each POSTed to /v1/batch when
due whether or not earlier ones were answered (an open-loop load, so a slow server
shows as latency, not as a lower offered rate), and prints each batch's send time
(CLOCK_MONOTONIC, comparable with other processes on the machine), answer time and
status.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
import uuid

import httpx
import orjson


def build_batches(count: int, per_batch: int) -> list[bytes]:
    bodies = []
    for b in range(count):
        batch = []
        for i in range(per_batch):
            batch.append(
                {
                    "type": "track" if i % 3 else "page",
                    "event": "Product Viewed",
                    "name": "Product",
                    "messageId": str(uuid.uuid4()),
                    "anonymousId": f"anon-{(b * per_batch + i) % 50_000}",
                    "timestamp": "2026-11-01T12:00:00.000Z",
                    "properties": {"product_id": f"p-{i % 400}", "price": 19.9, "currency": "EUR"},
                    "context": {
                        "page": {
                            "url": "https://shop.example/p?utm_source=google&utm_medium=cpc",
                            "referrer": "https://www.google.com/",
                        },
                        "userAgent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120",
                        "locale": "de-DE",
                        "library": {"name": "analytics.js", "version": "5.0"},
                    },
                }
            )
        bodies.append(orjson.dumps({"batch": batch, "sentAt": "2026-11-01T12:00:01.000Z"}))
    return bodies


def send_batches(url: str, key: str, bodies: list[bytes], connections: int) -> dict[str, float]:
    queue = list(reversed(bodies))
    lock = threading.Lock()
    failures = 0

    def worker() -> None:
        nonlocal failures
        with httpx.Client(auth=(key, ""), timeout=60) as client:
            while True:
                with lock:
                    if not queue:
                        return
                    body = queue.pop()
                response = client.post(
                    f"{url}/v1/batch", content=body, headers={"content-type": "application/json"}
                )
                if response.status_code != 200:
                    with lock:
                        failures += 1

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"seconds": time.perf_counter() - start, "failures": failures}


async def _offer(url: str, key: str, bodies: list[bytes], per_second: float) -> dict[str, object]:
    sent_at: list[float] = [0.0] * len(bodies)
    answered_at: list[float] = [0.0] * len(bodies)
    statuses: list[int] = [0] * len(bodies)
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(auth=(key, ""), timeout=60, limits=limits) as client:

        async def post(index: int) -> None:
            sent_at[index] = time.monotonic()
            try:
                response = await client.post(
                    f"{url}/v1/batch",
                    content=bodies[index],
                    headers={"content-type": "application/json"},
                )
                statuses[index] = response.status_code
            except httpx.HTTPError:
                statuses[index] = -1
            answered_at[index] = time.monotonic()

        tasks = []
        start = time.monotonic()
        for index in range(len(bodies)):
            pause = start + index / per_second - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            tasks.append(asyncio.create_task(post(index)))
        offered = time.monotonic() - start
        await asyncio.gather(*tasks)
    return {
        "sent_at": sent_at,
        "answered_at": answered_at,
        "statuses": statuses,
        "offered_seconds": offered,
    }


def offer_at_rate(
    url: str, key: str, batches: list[list[object]], per_second: float
) -> dict[str, object]:
    """POST each batch of messages at its due time; see the module docstring."""
    bodies = [orjson.dumps({"batch": batch}) for batch in batches]
    return asyncio.run(_offer(url, key, bodies, per_second))


def main() -> None:
    if sys.argv[1] == "rate":
        url, key, path, per_second = sys.argv[2:6]
        with open(path, "rb") as handle:
            batches = orjson.loads(handle.read())
        result_rate = offer_at_rate(url, key, batches, float(per_second))
        sys.stdout.write(orjson.dumps(result_rate).decode() + "\n")
        return
    mode, url, key, count, connections = sys.argv[1:6]
    if mode != "batch":
        raise SystemExit(f"unknown mode {mode}")
    per_batch = int(sys.argv[6]) if len(sys.argv) > 6 else 1000
    bodies = build_batches(int(count), per_batch)
    result = send_batches(url, key, bodies, int(connections))
    result["events"] = int(count) * per_batch
    result["bytes_per_event"] = sum(map(len, bodies)) / result["events"]
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main()
