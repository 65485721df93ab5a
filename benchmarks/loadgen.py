"""Load generator run as its own process: `python -m benchmarks.loadgen batch URL KEY N C`.

Pre-builds every request body so the generator is not what gets measured, sends
them over C keep-alive connections, and prints one JSON line of results.
"""

from __future__ import annotations

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


def main() -> None:
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
