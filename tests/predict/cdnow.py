"""CDNOW sample (Fader, Hardie & Lee 2005) as an orders CSV, from the copy `lifetimes` ships.

`lifetimes` is a test-only dependency: it provides the data and a second opinion.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import lifetimes.datasets

SAMPLE = Path(lifetimes.datasets.__file__).parent / "CDNOW_sample.txt"
SUMMARY = Path(lifetimes.datasets.__file__).parent / "cdnow_customers_summary_with_transactions.csv"
CALIBRATION_END = date(1997, 9, 30)  # 39 weeks from 1 January 1997


def write_orders_csv(path: Path) -> int:
    """One order per CDNOW transaction line; returns the number of orders."""
    rows = 0
    with SAMPLE.open() as source, path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["order_id", "customer_id", "timestamp", "amount", "currency"])
        for line in source:
            _, customer, day, _cds, dollars = line.split()
            stamp = f"{day[:4]}-{day[4:6]}-{day[6:]}T12:00:00Z"
            writer.writerow([f"o{rows}", f"c{customer}", stamp, dollars, "USD"])
            rows += 1
    return rows


def published_summary() -> list[tuple[float, float, float, float]]:
    """(x, t_x, T, z̄) per customer as printed in the CDNOW summary file."""
    with SUMMARY.open() as f:
        return [
            (float(r["x"]), float(r["t_x"]), float(r["T"]), float(r["zbar"]))
            for r in csv.DictReader(f)
        ]
