"""Online reviews (after purchases) and social mentions, with their true labels.

Ratings carry real signal: churners, especially in their last months, and a few
products with a hidden quality problem get worse ratings. Review texts match the
rating; social mentions have no stars, but their hidden rating and sentiment are in
the labels file, so sentiment and topic models can be measured.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cxm.demo.calendar import DAY_MS, Clock, iso_ms
from cxm.demo.catalogue import Catalogue
from cxm.demo.channels import person_days
from cxm.demo.config import LANGUAGES
from cxm.demo.orders import Purchase
from cxm.demo.people import ascii_name
from cxm.demo.population import Population
from cxm.demo.texts import compose, sentiment_of

Row = dict[str, object]
PLATFORMS = {
    "CN": ("tmall", "jd", "dianping"),
    "DE": ("trustpilot", "google"),
    "GB": ("trustpilot", "google"),
    "US": ("trustpilot", "google"),
}
SOCIAL = {
    "CN": ("weibo", "xiaohongshu"),
    "DE": ("instagram", "x"),
    "GB": ("x", "instagram"),
    "US": ("x", "instagram"),
}
URLS = {
    "tmall": "https://detail.tmall.com/review/{id}",
    "jd": "https://item.jd.com/comment/{id}",
    "dianping": "https://www.dianping.com/review/{id}",
    "trustpilot": "https://www.trustpilot.com/reviews/{id}",
    "google": "https://maps.google.com/review/{id}",
    "weibo": "https://weibo.com/{h}/{id}",
    "xiaohongshu": "https://www.xiaohongshu.com/explore/{id}",
    "instagram": "https://www.instagram.com/p/{id}/",
    "x": "https://x.com/{h}/status/{id}",
}
HAPPY = np.array([0.03, 0.04, 0.1, 0.3, 0.53])
UNHAPPY = np.array([0.32, 0.26, 0.2, 0.14, 0.08])


@dataclass(frozen=True)
class Mention:
    person: int
    platform: str
    handle: str
    url: str
    review_id: str
    timestamp: int


def handle(pop: Population, person: int) -> str:
    p = pop.people[person]
    return f"{ascii_name(p.first_latin)}_{ascii_name(p.last_latin)}{person % 97}"


def _rating(rng: np.random.Generator, unhappy: bool) -> int:
    return int(rng.choice(5, p=UNHAPPY if unhappy else HAPPY)) + 1


def _language(rng: np.random.Generator, country: str) -> str:
    if country == "DE" and rng.random() < 0.1:
        return "en"
    return LANGUAGES[country]


def make_reviews(
    pop: Population,
    catalogue: Catalogue,
    purchases: list[Purchase],
    clock: Clock,
    rng: np.random.Generator,
) -> tuple[list[Row], list[Row], list[Mention]]:
    """(review rows for import, label rows, social mentions for the social events)."""
    flawed = set(
        int(p) for p in rng.choice(catalogue.size, size=catalogue.size // 25, replace=False)
    )
    rows: list[tuple[int, Row, Row]] = []
    for purchase in purchases:
        churner = bool(pop.churner[purchase.person])
        if rng.random() >= (0.25 if churner else 0.1):
            continue
        product = purchase.products[int(rng.integers(len(purchase.products)))]
        at = purchase.timestamp + int(rng.uniform(2, 20) * DAY_MS)
        if at >= clock.end_ms:
            continue
        late = churner and at > clock.start_ms + (pop.last_day[purchase.person] - 150) * DAY_MS
        rating = _rating(rng, late or (product in flawed and rng.random() < 0.6))
        language = _language(rng, purchase.country)
        name = catalogue.name_zh[product] if language == "zh" else catalogue.name[product]
        text, topics = compose(rng, language, rating, name)
        platform = PLATFORMS[purchase.country][int(rng.integers(len(PLATFORMS[purchase.country])))]
        rows.append(
            (
                at,
                {
                    "source": platform,
                    "rating": rating,
                    "text": text,
                    "language": language,
                    "author_handle": handle(pop, purchase.person),
                    "product_id": catalogue.product_id[product],
                    "kind": "review",
                    "platform": platform,
                },
                {
                    "person_id": pop.people[purchase.person].person_id,
                    "rating": rating,
                    "sentiment": sentiment_of(rating),
                    "topics": ";".join(topics),
                },
            )
        )
    mentions_wanted = max(pop.size // 12, 5)
    weight = pop.activity * np.where(pop.churner, 2.0, 1.0)
    people = rng.choice(pop.size, size=mentions_wanted, p=weight / weight.sum())
    days = person_days(pop, clock, rng, people.astype(np.int64), trouble=0.6)
    stamps = clock.to_ms(rng, days, pop.tz_hours[people])
    for person, at in zip(people, stamps, strict=True):
        person = int(person)
        country = pop.people[person].country
        late = (
            bool(pop.churner[person])
            and at > clock.start_ms + (pop.last_day[person] - 150) * DAY_MS
        )
        rating = _rating(rng, late)
        language = _language(rng, country)
        product = int(catalogue.sample(rng, pop.cluster[[person]])[0])
        name = catalogue.name_zh[product] if language == "zh" else catalogue.name[product]
        text, topics = compose(rng, language, rating, name)
        platform = SOCIAL[country][int(rng.integers(2))]
        rows.append(
            (
                int(at),
                {
                    "source": platform,
                    "rating": None,
                    "text": text,
                    "language": language,
                    "author_handle": handle(pop, person),
                    "product_id": "",
                    "kind": "mention",
                    "platform": platform,
                },
                {
                    "person_id": pop.people[person].person_id,
                    "rating": rating,
                    "sentiment": sentiment_of(rating),
                    "topics": ";".join(topics),
                },
            )
        )
    rows.sort(key=lambda triple: triple[0])
    stamps_text = iso_ms(np.array([at for at, _, _ in rows], dtype=np.int64))
    reviews, labels, mentions = [], [], []
    for number, ((at, row, label), stamp) in enumerate(zip(rows, stamps_text, strict=True)):
        review_id = f"{'RV' if row['kind'] == 'review' else 'SM'}-{100001 + number}"
        platform = str(row.pop("platform"))
        token = f"{((number + 1) * 2654435761) % 10**10:010d}"
        url = URLS[platform].format(id=token, h=row["author_handle"])
        reviews.append({"review_id": review_id, **row, "url": url, "posted_at": str(stamp)})
        labels.append({"review_id": review_id, **label})
        if row["kind"] == "mention":
            person_index = int(str(label["person_id"])[1:]) - 1
            mentions.append(
                Mention(person_index, platform, str(row["author_handle"]), url, review_id, at)
            )
    return reviews, labels, mentions
