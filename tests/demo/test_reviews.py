"""Review texts speak the customer's language and match the rating shipped as the label."""

from __future__ import annotations

from collections import Counter

import numpy as np
import orjson

from cxm.demo.files import DemoFiles
from cxm.demo.texts import OPENERS, SENTENCES, TOPICS, compose, sentiment_of
from tests.demo.conftest import read_csv


def _reviews(files: DemoFiles) -> list[dict[str, object]]:
    lines = files.path("reviews.jsonl").read_bytes().splitlines()
    return [orjson.loads(line) for line in lines]


def test_reviews_and_mentions_come_in_three_languages(small_files: DemoFiles) -> None:
    reviews = _reviews(small_files)
    assert Counter(r["language"] for r in reviews).keys() == {"zh", "de", "en"}
    kinds = Counter(r["kind"] for r in reviews)
    assert kinds["review"] > 0 and kinds["mention"] > 0
    assert all(r["rating"] is None for r in reviews if r["kind"] == "mention")
    assert all(1 <= int(r["rating"]) <= 5 for r in reviews if r["kind"] == "review")  # type: ignore[call-overload]


def test_review_labels_match_the_file(small_files: DemoFiles) -> None:
    reviews = {r["review_id"]: r for r in _reviews(small_files)}
    labels = read_csv(small_files, "truth/review_labels.csv")
    assert [lab["review_id"] for lab in labels] == list(reviews)
    for label in labels:
        review = reviews[label["review_id"]]
        if review["rating"] is not None:
            assert int(label["rating"]) == review["rating"]
        assert label["sentiment"] == sentiment_of(int(label["rating"]))
        assert set(label["topics"].split(";")) <= set(TOPICS)


def test_review_text_tone_follows_the_rating(small_files: DemoFiles) -> None:
    reviews = {r["review_id"]: r for r in _reviews(small_files)}
    for label in read_csv(small_files, "truth/review_labels.csv"):
        text = str(reviews[label["review_id"]]["text"])
        language = str(reviews[label["review_id"]]["language"])
        openers = OPENERS[language][label["sentiment"]]
        assert text.startswith(openers), (text, label)


def test_compose_mentions_each_topic_with_the_right_polarity() -> None:
    rng = np.random.default_rng(0)
    for rating in (1, 5):
        text, topics = compose(rng, "de", rating, "Leinen Plaid")
        side = 1 if rating == 1 else 0
        for topic in topics:
            sentences = [s.format(p="Leinen Plaid") for s in SENTENCES["de"][topic][side]]
            assert any(s in text for s in sentences)
