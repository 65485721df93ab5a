"""The RFM summary the CLV models read: one row per customer from ``orders``.

Definitions follow Fader, Hardie & Lee (2005) and the ``lifetimes`` convention:

* purchases on the same (UTC) day are merged into one transaction (amounts summed);
* ``frequency`` x = number of *repeat* transactions (distinct purchase days − 1);
* ``recency`` t_x = time from the first to the last transaction;
* ``T`` = time from the first transaction to the calibration end (the end of the
  calibration day counts as that day: a first purchase on the calibration day has T=0);
* ``monetary`` = mean value of the repeat transactions (0 when x = 0) — the first
  purchase is left out, as in Fader & Hardie (2013) "The Gamma-Gamma model of
  monetary value";
* time is measured in days or weeks (``time_unit``).

Who is a customer: the order's ``profile_id`` when identity resolution has linked
it, else ``<source>:<customer_id>`` (orders imported but not yet stitched), so a
fresh ``cxm import orders`` is enough to fit the models.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

import numpy as np
import numpy.typing as npt
import pyarrow.compute as pc

from cxm.predict.currency import to_reporting
from cxm.store import Database

TimeUnit = Literal["day", "week"]
UNIT_DAYS: dict[str, float] = {"day": 1.0, "week": 7.0}
DAY_SECONDS = 86_400

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Transactions:
    """Purchase days per customer (same-day purchases merged), sorted by customer, day."""

    customers: list[str]
    customer_index: npt.NDArray[np.int64]  # index into ``customers`` per transaction
    day: npt.NDArray[np.int64]  # days since 1970-01-01 (UTC)
    amount: Floats  # in the reporting currency
    linked: npt.NDArray[np.bool_]  # per customer: key is a profile_id


@dataclass(frozen=True)
class RfmSummary:
    """One row per customer with at least one transaction up to the calibration end."""

    customers: list[str]
    frequency: Floats
    recency: Floats
    T: Floats
    monetary: Floats
    total_spend: Floats  # all calibration transactions, first included
    first_day: npt.NDArray[np.int64]
    last_day: npt.NDArray[np.int64]
    linked: npt.NDArray[np.bool_]
    time_unit: TimeUnit
    calibration_end: date

    @property
    def size(self) -> int:
        return len(self.customers)


def day_number(value: date) -> int:
    return (value - date(1970, 1, 1)).days


def load_transactions(database: Database) -> Transactions:
    """Read orders merged to one transaction per customer and UTC day."""
    table = database.query_arrow(
        "SELECT COALESCE(profile_id, source || ':' || customer_id) AS customer, "
        "CAST(floor(EXTRACT(EPOCH FROM timestamp) / 86400) AS BIGINT) AS day, "
        "currency, SUM(amount) AS amount, MAX(CASE WHEN profile_id IS NULL THEN 0 ELSE 1 END) "
        "AS linked FROM orders GROUP BY 1, 2, 3"
    )
    if table.num_rows == 0:
        empty_i = np.zeros(0, dtype=np.int64)
        return Transactions([], empty_i, empty_i, np.zeros(0), np.zeros(0, dtype=bool))
    day = np.asarray(table.column("day").to_numpy(zero_copy_only=False), dtype=np.int64)
    currencies = pc.unique(table.column("currency")).to_pylist()
    raw = np.asarray(table.column("amount").to_numpy(zero_copy_only=False), dtype=np.float64)
    linked_row = np.asarray(table.column("linked").to_numpy(zero_copy_only=False)) > 0
    # Per-row conversion only when several currencies are present.
    amount = to_reporting(raw, table.column("currency").to_pylist() if len(currencies) > 1 else [])
    # Customer keys to integers in Arrow (C), not a Python set of millions of strings.
    encoded = table.column("customer").combine_chunks().dictionary_encode()
    names = encoded.dictionary.to_pylist()
    index = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    # Several currencies on one day become one transaction too.
    key = index.astype(np.int64) * 1_000_000 + (day - day.min())
    uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    merged_amount = np.bincount(inverse, weights=amount, minlength=len(uniq))
    merged_customer = index[first].astype(np.int64)
    merged_day = day[first]
    linked = np.zeros(len(names), dtype=bool)
    np.logical_or.at(linked, index, linked_row)
    return Transactions(
        customers=[str(n) for n in names],  # dictionary order (first seen)
        customer_index=merged_customer,
        day=merged_day,
        amount=np.asarray(merged_amount, dtype=np.float64),
        linked=linked,
    )


def summarise(tx: Transactions, calibration_end: date, time_unit: TimeUnit = "week") -> RfmSummary:
    """Collapse transactions up to and including ``calibration_end`` into RFM rows."""
    if time_unit not in UNIT_DAYS:
        raise ValueError(f"time_unit: must be day or week, not {time_unit!r}")
    end = day_number(calibration_end)
    keep = tx.day <= end
    cust = tx.customer_index[keep]
    day = tx.day[keep]
    amount = tx.amount[keep]
    n_all = len(tx.customers)
    count = np.bincount(cust, minlength=n_all)
    present = count > 0
    first = np.full(n_all, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(n_all, np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(first, cust, day)
    np.maximum.at(last, cust, day)
    total = np.bincount(cust, weights=amount, minlength=n_all)
    # The first transaction's amount (transactions are sorted by customer then day).
    first_amount = np.zeros(n_all)
    is_first = day == first[cust]
    first_amount[cust[is_first]] = amount[is_first]
    unit = UNIT_DAYS[time_unit]
    frequency = (count - 1).astype(np.float64)
    repeat_spend = total - first_amount
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(frequency > 0, repeat_spend / np.maximum(frequency, 1), 0.0)
    idx = np.flatnonzero(present)
    return RfmSummary(
        customers=[tx.customers[i] for i in idx],
        frequency=frequency[idx],
        recency=(last[idx] - first[idx]) / unit,
        T=(end - first[idx]) / unit,
        monetary=monetary[idx],
        total_spend=np.asarray(total[idx], dtype=np.float64),
        first_day=first[idx],
        last_day=last[idx],
        linked=tx.linked[idx],
        time_unit=time_unit,
        calibration_end=calibration_end,
    )


def rfm_summary(
    database: Database, calibration_end: date | None = None, time_unit: TimeUnit = "week"
) -> RfmSummary:
    """The RFM summary of ``orders``; the calibration end defaults to the last order day."""
    tx = load_transactions(database)
    if calibration_end is None:
        calibration_end = (
            date.fromordinal(date(1970, 1, 1).toordinal() + int(tx.day.max()))
            if len(tx.day)
            else datetime.now(UTC).date()
        )
    return summarise(tx, calibration_end, time_unit)
