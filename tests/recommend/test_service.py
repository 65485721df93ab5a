"""Interactions, training, storage and serving on both backends."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from cxm.privacy.consent import record_consent
from cxm.recommend.consent import ConsentCache
from cxm.recommend.evaluate import evaluate
from cxm.recommend.export import export_recommendations
from cxm.recommend.interactions import load_interactions
from cxm.recommend.service import ModelCache, RecommendError, recommend, train_and_save
from cxm.recommend.storage import load_model
from cxm.store import Database
from tests.recommend.shop import SPLIT, add_event, build_shop, buy


def test_interactions_read_products_and_order_items(database: Database) -> None:
    build_shop(database)
    # An anonymous visitor (no profile yet) and an order event with two items.
    add_event(database, None, "Product Added", {"product_id": "B1"}, SPLIT, anonymous_id="v-9")
    buy(database, "p-a5", ["A2", "A3"], 1)
    found = load_interactions(database)
    rows = set(zip(found.person.tolist(), found.item.tolist(), found.kind.tolist(), strict=True))
    assert ("anon:v-9", "B1", 1) in rows
    assert ("p-a5", "A2", 2) in rows and ("p-a5", "A3", 2) in rows
    assert found.item_names["A1"] == "Item A1"
    assert np.all(np.diff(found.at) >= 0)
    before = load_interactions(database, SPLIT)
    assert len(before) == len(found) - 8 - 1 - 2  # the after-split views, B1 at SPLIT, order


def test_trained_model_round_trips_through_the_database(database: Database) -> None:
    build_shop(database)
    summary = train_and_save(database)
    assert summary.items == 8 and summary.people == 9
    model = load_model(database)
    assert model is not None and model.version == summary.version
    assert model.items == [f"{g}{n}" for g in "AB" for n in range(1, 5)]
    person = model.people["p-a1"]
    assert {model.items[i] for i in person.bought} == {"A1"}
    assert person.factors is not None and person.factors.shape == (4,)
    # A second model replaces the person rows of the first.
    train_and_save(database)
    assert database.scalar("SELECT count(DISTINCT model_version) FROM recommend_people") == 1


def test_recommend_respects_consent_and_filters_bought_items(database: Database) -> None:
    build_shop(database)
    train_and_save(database)
    cache, consent = ModelCache(check_every=0), ConsentCache(check_every=0)
    denied = recommend(database, "p-a1", "personalised", 3, cache=cache, consent=consent)
    assert denied.served == ["trending"] and not denied.personalised_allowed
    assert denied.notes and "consent" in denied.notes[0]
    record_consent(database, "p-a1", "personalisation", "*", "granted", source="test")
    allowed = recommend(database, "p-a1", "personalised", 3, cache=cache, consent=consent)
    assert allowed.served == ["personalised"] and allowed.personalised_allowed
    assert "A1" not in [item.item_id for item in allowed.items]
    related = recommend(database, "p-a1", "related", 3, cache=cache)
    assert related.anchor_item is not None
    assert all(item.item_id.startswith("A") for item in related.items)
    new = recommend(database, "p-new", "combined", 3, cache=cache)
    assert new.served == ["trending"] and len(new.items) == 3
    about = recommend(database, "p-new", "related", 2, item="B2", cache=cache)
    assert about.anchor_item == "B2" and about.items[0].item_id.startswith("B")


@pytest.mark.backends("duckdb")  # input checks: no storage difference to cover
def test_recommend_names_the_bad_field(database: Database) -> None:
    cache = ModelCache(check_every=0)
    with pytest.raises(RecommendError) as missing:
        recommend(database, "p-a1", "combined", 3, cache=cache)
    assert missing.value.field == "model"
    build_shop(database)
    train_and_save(database)
    cases: tuple[tuple[str, int, str | None, str], ...] = (
        ("best", 3, None, "kind"),
        ("combined", 0, None, "k"),
        ("combined", 3, "Z9", "item"),
    )
    for kind, k, item, field in cases:
        with pytest.raises(RecommendError) as error:
            recommend(database, "p-a1", kind, k, item=item, cache=cache)
        assert error.value.field == field


def test_erase_removes_a_persons_model_row(database: Database) -> None:
    from cxm.privacy.erase import erase_person

    build_shop(database)
    train_and_save(database)
    erase_person(database, "p-a2", "test")
    assert database.scalar("SELECT count(*) FROM recommend_people WHERE profile_id = 'p-a2'") == 0
    cache = ModelCache(check_every=0)
    assert cache.get(database) is not None and "p-a2" not in cache.get(database).people  # type: ignore[union-attr]


def test_evaluate_with_a_time_split(database: Database) -> None:
    build_shop(database)
    result = evaluate(database, SPLIT, 2)
    # Every profile a1..b4 has one unseen item of their taste after the split.
    assert result.persons == 8
    assert set(result.kinds) == {"personalised", "related", "trending", "combined", "popularity"}
    for scores in result.kinds.values():
        assert 0.0 <= scores.precision <= 0.5 and 0.0 <= scores.ndcg <= 1.0
    with pytest.raises(RecommendError) as error:
        evaluate(database, SPLIT.replace(year=2000), 2)
    assert error.value.field == "split_date"


def test_export_covers_every_profile_with_identifiers(database: Database, tmp_path: Path) -> None:
    build_shop(database)
    train_and_save(database)
    record_consent(database, "p-b2", "personalisation", "*", "granted", source="test")
    out = tmp_path / "recs.csv"
    summary = export_recommendations(database, "personalised", 2, out)
    assert summary.profiles == 10 and summary.personalised == 1 and summary.rows == 20
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    served = {row["profile_id"]: row["served"] for row in rows}
    assert served["p-b2"] == "personalised" and served["p-a1"] == "trending"
    assert {row["identifiers"] for row in rows if row["profile_id"] == "p-new"} == {
        "email:new@example.com"
    }
