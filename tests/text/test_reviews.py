"""review_analyses: new and changed reviews analysed once; summary, topics, search."""

from __future__ import annotations

from datetime import UTC, date, datetime

from cxm.store import Database
from cxm.voc.text.listening import rating_trend, sentiment_split, summary
from cxm.voc.text.reviews import analyse_reviews
from cxm.voc.text.topic_stats import search, topic_counts, topic_trend
from tests.text.helpers import add_review


def _seed(database: Database) -> None:
    add_review(
        database, "r1", "Delivery was late and the courier was rude.", rating=1, profile_id="p-1"
    )
    add_review(database, "r2", "Lovely quality, great price!", rating=5, language="en")
    add_review(
        database,
        "r3",
        "物流很快，质量很好，非常满意。",
        source="tmall",
        rating=5,
        posted_at=datetime(2026, 3, 10, 8, tzinfo=UTC),
    )
    add_review(
        database,
        "r4",
        "Die Rücksendung war eine Katastrophe.",
        source="google",
        rating=2,
        posted_at=datetime(2026, 3, 10, 9, tzinfo=UTC),
    )


def test_analyse_new_then_only_changed(database: Database) -> None:
    _seed(database)
    first = analyse_reviews(database)
    assert first.reviews == 4
    rows = {
        r["review_id"]: r
        for r in database.query_dicts("SELECT * FROM review_analyses ORDER BY review_id")
    }
    assert {k: (v["lang"], v["label"]) for k, v in rows.items()} == {
        "r1": ("en", "negative"),
        "r2": ("en", "positive"),
        "r3": ("zh", "positive"),
        "r4": ("de", "negative"),
    }
    assert rows["r1"]["profile_id"] == "p-1"
    assert analyse_reviews(database).reviews == 0
    database.execute(
        "UPDATE reviews SET text = 'Terrible, broken on arrival.' WHERE review_id = 'r2'"
    )
    again = analyse_reviews(database)
    assert again.reviews == 1
    label = database.scalar("SELECT label FROM review_analyses WHERE review_id = 'r2'")
    assert label == "negative"
    assert database.scalar("SELECT count(*) FROM review_analyses") == 4
    assert analyse_reviews(database, everything=True).reviews == 4
    # Linked to a person after it was analysed: the analysis follows.
    database.execute("UPDATE reviews SET profile_id = 'p-9' WHERE review_id = 'r3'")
    assert analyse_reviews(database).reviews == 0
    assert database.scalar("SELECT profile_id FROM review_analyses WHERE review_id = 'r3'") == "p-9"


def test_summary_trend_topics_and_search(database: Database) -> None:
    _seed(database)
    analyse_reviews(database)
    overview = summary(database)
    assert overview["reviews"] == 4 and overview["analysed"] == 4
    assert overview["sentiment"] == {"negative": 2, "neutral": 0, "positive": 2}
    assert overview["avg_rating"] == 3.25  # (1 + 5 + 5 + 2) / 4
    assert sentiment_split(database, source="trustpilot") == {
        "negative": 1,
        "neutral": 0,
        "positive": 1,
    }
    trend = rating_trend(database, period="week")
    # 2026-03-02 is a Monday; 2026-03-10 falls in the week of 2026-03-09.
    assert {(t["period"], t["source"]): (t["n"], t["avg_rating"]) for t in trend} == {
        ("2026-03-02", "trustpilot"): (2, 3.0),
        ("2026-03-09", "google"): (1, 2.0),
        ("2026-03-09", "tmall"): (1, 5.0),
    }
    counts = {row["topic"]: row for row in topic_counts(database)}
    assert counts["delivery"]["n"] == 2 and counts["delivery"]["negative"] == 1
    assert counts["returns"]["negative_share"] == 1.0
    later = topic_counts(database, start=date(2026, 3, 9), end=date(2026, 3, 10))
    assert {row["topic"] for row in later} >= {"delivery", "returns", "product_quality"}
    assert "staff" not in {row["topic"] for row in later}
    assert {row["period"] for row in topic_trend(database, period="month")} == {"2026-03-01"}
    assert [r["review_id"] for r in search(database, q="COURIER")] == ["r1"]
    assert [r["review_id"] for r in search(database, topic="returns")] == ["r4"]
    assert [r["review_id"] for r in search(database, label="positive", lang="zh")] == ["r3"]
    assert [r["review_id"] for r in search(database, q="100%")] == []
    assert search(database, source="google")[0]["topics"] == ["returns"]


def test_open_text_survey_answers_get_sentiment_and_join_topics(database: Database) -> None:
    for number, (text, language) in enumerate(
        [("The delivery was far too slow.", "en"), ("客服态度很好。", None), ("", "de")]
    ):
        database.execute(
            "INSERT INTO survey_answers (response_id, survey_id, question_id, question_type, "
            "item, text, language, answered_at) VALUES (?, 's1', 'q-text', 'text', '', ?, ?, ?)",
            [f"resp-{number}", text, language, datetime(2026, 3, 4, tzinfo=UTC)],
        )
    assert analyse_reviews(database).survey_answers == 2
    rows = database.query(
        "SELECT response_id, sentiment_label, CAST(topics AS TEXT) FROM survey_answers "
        "ORDER BY response_id"
    )
    assert [(r[0], r[1]) for r in rows] == [
        ("resp-0", "negative"),
        ("resp-1", "positive"),
        ("resp-2", None),
    ]
    assert "delivery" in rows[0][2] and "staff" in rows[1][2]
    assert analyse_reviews(database).survey_answers == 0
    counts = {row["topic"]: row for row in topic_counts(database)}
    assert counts["delivery"]["negative"] == 1 and counts["staff"]["positive"] == 1


def test_search_joins_survey_verbatims(database: Database) -> None:
    _seed(database)
    database.execute(
        "INSERT INTO survey_answers (response_id, survey_id, question_id, question_type, "
        "item, text, language, answered_at) VALUES ('resp-1', 'csat-1', 'q', 'text', '', "
        "'The courier was friendly.', 'en', ?)",
        [datetime(2026, 3, 20, tzinfo=UTC)],
    )
    analyse_reviews(database)
    found = search(database, q="courier")
    assert [(r["source"], r["review_id"]) for r in found] == [
        ("survey:csat-1", "resp-1"),
        ("trustpilot", "r1"),
    ]
    assert [r["review_id"] for r in search(database, q="courier", kind="reviews")] == ["r1"]
    assert [r["review_id"] for r in search(database, q="courier", source="survey:csat-1")] == [
        "resp-1"
    ]
    assert [r["review_id"] for r in search(database, q="courier", limit=1, offset=1)] == ["r1"]
