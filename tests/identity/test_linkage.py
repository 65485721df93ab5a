"""Probabilistic linkage (Splink) on a small generated two-source set with known truth:
typos, swapped names, nicknames, Han names vs pinyin, other date and postcode formats.
The second source shares no identifier with the first, so every link is probabilistic."""

from __future__ import annotations

import itertools
import random
from pathlib import Path
from typing import Any

from cxm.identity import link_records, list_reviews, stitch_new
from cxm.store import Database
from tests.identity.data import import_customers

FIRST = ["Daniel", "Margaret", "Thomas", "Anna", "Rebecca", "Michael", "Sophie", "Lukas",
         "Emily", "Jonas", "William", "Laura", "Felix", "Hannah", "Oliver"]  # fmt: skip
LAST = ["Johnson", "Anderson", "Schneider", "Weber", "Jones", "Fischer", "Taylor", "Becker",
        "Wright", "Hoffmann", "Walker", "Richter", "Hughes", "Krause", "Clarke"]  # fmt: skip
NICK = {"Daniel": "Danny", "Margaret": "Maggie", "Thomas": "Tom", "Rebecca": "Becky",
        "Michael": "Mike", "William": "Bill"}  # fmt: skip
HAN = [
    ("梓萱", "许", "Zixuan", "Xu"),
    ("晓明", "张", "Xiaoming", "Zhang"),
    ("霞", "韩", "Xia", "Han"),
]


def _typo(rng: random.Random, text: str) -> str:
    i = rng.randrange(1, len(text) - 1)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def people(n: int, seed: int = 3) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rng = random.Random(seed)
    crm, till = [], []
    for i in range(n):
        if i < len(HAN):
            han_first, han_last, first, last = HAN[i]
        else:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            han_first, han_last = first, last
        born = f"{rng.randint(1950, 2000)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        postcode = f"{rng.randint(1000, 99999):05d}"
        crm.append({"id": f"C{i}", "first_name": han_first, "last_name": han_last,
                    "email": f"person{i}@example.com", "birth_date": born,
                    "postcode": postcode, "country": "DE"})  # fmt: skip
        if i % 4 == 3:
            continue  # not every customer has a loyalty card
        year, month, day = born.split("-")
        b_first, b_last = first, last
        roll = rng.random()
        if roll < 0.2:
            b_last = _typo(rng, last)
        elif roll < 0.3:
            b_first, b_last = last, first
        elif roll < 0.45:
            b_first = NICK.get(first, first)
        till.append({"id": f"L{i}", "first_name": b_first, "last_name": b_last,
                     "birth_date": f"{day}.{month}.{year}",
                     "postcode": postcode.lstrip("0"), "country": "DE"})  # fmt: skip
    return crm, till


def test_linkage_links_corrupted_records_with_high_precision(
    database: Database, tmp_path: Path
) -> None:
    crm, till = people(60)
    import_customers(database, tmp_path, crm, "crm")
    import_customers(database, tmp_path, till, "loyalty")
    stitch_new(database)
    assert database.scalar("SELECT count(DISTINCT profile_id) FROM customer_records") == len(
        crm
    ) + len(till)

    summary = link_records(database)

    owner: dict[str, str] = dict(
        database.query("SELECT record_id, profile_id FROM customer_records")
    )
    truth = {(f"C{r['id'][1:]}", r["id"]) for r in till}
    found = {
        (a, b)
        for a, b in itertools.product([r["id"] for r in crm], [r["id"] for r in till])
        if owner[a] == owner[b]
    }
    true_positives = len(found & truth)
    precision = true_positives / max(len(found), 1)
    recall = true_positives / len(truth)
    assert precision >= 0.97, (precision, recall, summary)
    assert recall + len(list_reviews(database)) / len(truth) >= 0.9, (precision, recall, summary)
    assert summary.merged == len(found)  # each merge joined one loyalty card to one CRM record
    merges = database.query("SELECT DISTINCT rule FROM merges")
    assert merges == [("probabilistic",)]
    assert database.scalar("SELECT min(score) FROM merges") >= 0.99


def test_linkage_second_run_merges_and_queues_nothing_new(
    database: Database, tmp_path: Path
) -> None:
    crm, till = people(20, seed=5)
    import_customers(database, tmp_path, crm, "crm")
    import_customers(database, tmp_path, till, "loyalty")
    stitch_new(database)
    link_records(database)
    again = link_records(database)
    assert (again.merged, again.queued_for_review) == (0, 0)
