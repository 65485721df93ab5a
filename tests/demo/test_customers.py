"""The three customer sources overlap like real systems and disagree like real systems."""

from __future__ import annotations

import re

from cxm.demo.files import DemoFiles
from tests.demo.conftest import SMALL, read_csv

HAN = re.compile(r"[\u4e00-\u9fff]")


def _by_person(files: DemoFiles) -> dict[str, dict[str, dict[str, str]]]:
    """person_id -> {"crm": row, "shop": row, "loyalty": row} via the ground truth."""
    crm = {r["crm_id"]: r for r in read_csv(files, "customers_crm.csv")}
    shop = {r["customer_no"]: r for r in read_csv(files, "customers_shop.csv")}
    loyalty = {r["card_number"]: r for r in read_csv(files, "customers_loyalty.csv")}
    people: dict[str, dict[str, dict[str, str]]] = {}
    for truth in read_csv(files, "truth/persons.csv"):
        records = {}
        if truth["crm_id"]:
            records["crm"] = crm[truth["crm_id"]]
        if truth["shop_ids"]:
            records["shop"] = shop[truth["shop_ids"].split(";")[0]]
        if truth["loyalty_card"]:
            records["loyalty"] = loyalty[truth["loyalty_card"]]
        people[truth["person_id"]] = records
    return people


def test_ground_truth_covers_every_source_record_exactly_once(small_files: DemoFiles) -> None:
    truth = read_csv(small_files, "truth/persons.csv")
    crm_ids = [t["crm_id"] for t in truth if t["crm_id"]]
    shop_ids = [s for t in truth for s in t["shop_ids"].split(";") if s]
    cards = [t["loyalty_card"] for t in truth if t["loyalty_card"]]
    assert sorted(crm_ids) == sorted(
        r["crm_id"] for r in read_csv(small_files, "customers_crm.csv")
    )
    assert sorted(shop_ids) == sorted(
        r["customer_no"] for r in read_csv(small_files, "customers_shop.csv")
    )
    assert sorted(cards) == sorted(
        r["card_number"] for r in read_csv(small_files, "customers_loyalty.csv")
    )


def test_sources_overlap_most_in_two_some_in_three_some_in_one(small_files: DemoFiles) -> None:
    sizes = [len(records) for records in _by_person(small_files).values()]
    share = {k: sizes.count(k) / len(sizes) for k in (1, 2, 3)}
    assert share[2] > 0.45
    assert 0.15 < share[3] < 0.35
    assert 0.1 < share[1] < 0.3
    assert len(sizes) == SMALL.customers


def test_same_person_is_written_differently_across_sources(small_files: DemoFiles) -> None:
    people = _by_person(small_files).values()
    pairs = [(r["crm"], r["shop"]) for r in people if "crm" in r and "shop" in r]
    latin = [(c, s) for c, s in pairs if not HAN.search(c["last_name"] + c["first_name"])]
    differ = sum(
        c["first_name"] != s["firstname"] or c["last_name"] != s["lastname"] for c, s in latin
    )
    same = sum(
        c["first_name"] == s["firstname"] and c["last_name"] == s["lastname"] for c, s in latin
    )
    # Mostly recognisable, but a real share of nicknames, typos, swaps and umlaut folding.
    assert same > differ > 0.1 * len(latin)
    emails = sum(bool(c["email"]) and c["email"] != s["email_address"] for c, s in pairs)
    assert 0.05 * len(pairs) < emails < 0.4 * len(pairs)


def test_chinese_names_are_han_in_crm_and_mostly_latin_in_shop(small_files: DemoFiles) -> None:
    people = _by_person(small_files).values()
    chinese = [r for r in people if "crm" in r and r["crm"]["country"] == "CN" and "shop" in r]
    assert chinese
    han_in_crm = sum(bool(HAN.search(r["crm"]["last_name"])) for r in chinese)
    han_in_shop = sum(
        bool(HAN.search(r["shop"]["lastname"] + r["shop"]["firstname"])) for r in chinese
    )
    assert han_in_crm > 0.9 * len(chinese)
    assert han_in_shop < 0.3 * len(chinese)


def test_phones_dates_and_postcodes_come_in_local_formats(small_files: DemoFiles) -> None:
    phones = [r["mobile"] for r in read_csv(small_files, "customers_loyalty.csv") if r["mobile"]]
    phones += [r["phone"] for r in read_csv(small_files, "customers_crm.csv") if r["phone"]]
    assert any(p.startswith("+49 ") for p in phones)
    assert any(p.startswith("0049") or p.startswith("0086") for p in phones)
    assert any(re.fullmatch(r"1[3-9]\d{9}", p) for p in phones)  # bare Chinese mobile
    assert any(re.fullmatch(r"0\d{2,4}[-/ ]\d+.*", p) for p in phones)  # national trunk 0
    dobs = [r["dob"] for r in read_csv(small_files, "customers_loyalty.csv") if r["dob"]]
    assert any(re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", d) for d in dobs)  # German
    assert any(re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", d) for d in dobs)  # US / UK
    assert any("年" in d for d in dobs)
    crm_dates = [r["birth_date"] for r in read_csv(small_files, "customers_crm.csv")]
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in crm_dates if d)
    assert any(d == "" for d in crm_dates)  # missing fields happen
