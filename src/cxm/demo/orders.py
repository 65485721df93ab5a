"""Orders: web and app checkouts that complete, and till purchases in stores.

Online orders name the customer by web-shop customer number when the buyer was
logged in and by e-mail for guest checkouts; store orders by loyalty card. Amounts
are in the market's currency with its free-shipping threshold and occasional codes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import orjson

from cxm.demo.calendar import iso_ms
from cxm.demo.catalogue import Catalogue
from cxm.demo.channels import StoreVisits
from cxm.demo.config import COUNTRIES, CURRENCIES
from cxm.demo.places import STORES
from cxm.demo.population import Population
from cxm.demo.webevents import Checkouts

Row = dict[str, object]
# currency -> (free shipping from, shipping fee)
SHIPPING = {"CNY": (299.0, 15.0), "EUR": (49.0, 4.95), "GBP": (45.0, 3.95), "USD": (59.0, 6.95)}
CODES = ("WELCOME10", "NEWSLETTER10", "SPRING15", "VIP20")


@dataclass(frozen=True)
class Purchase:
    """What a person bought and when, for reviews written afterwards."""

    person: int
    country: str
    products: list[int]
    timestamp: int


def _items(
    catalogue: Catalogue, products: list[int], currency: str, rng: np.random.Generator
) -> tuple[list[dict[str, object]], float]:
    distinct = sorted(set(products))
    prices = catalogue.price(np.array(distinct, dtype=np.int64), currency)
    items, total = [], 0.0
    for product, price in zip(distinct, prices, strict=True):
        quantity = products.count(product) + (1 if rng.random() < 0.1 else 0)
        items.append(
            {
                "product_id": catalogue.product_id[product],
                "quantity": quantity,
                "price": float(price),
            }
        )
        total += quantity * float(price)
    return items, total


def online_orders(
    checkouts: list[Checkouts],
    pop: Population,
    catalogue: Catalogue,
    guest_emails: list[str],
    rng: np.random.Generator,
) -> tuple[list[Row], list[Purchase]]:
    rows: list[tuple[int, Row]] = []
    purchases = []
    for batch in checkouts:
        channel = "app" if batch.app else "web"
        for index in range(len(batch.owner)):
            person = int(batch.owner[index])
            rate = 0.55 if pop.churner[person] else 0.72
            if rng.random() >= rate or not batch.products[index]:
                continue
            currency = CURRENCIES[COUNTRIES[int(batch.country[index])]]
            items, subtotal = _items(catalogue, batch.products[index], currency, rng)
            free_from, fee = SHIPPING[currency]
            shipping = 0.0 if subtotal >= free_from else fee
            code = CODES[int(rng.integers(len(CODES)))] if rng.random() < 0.12 else ""
            discount = round(subtotal * 0.1, 2) if code else 0.0
            at = int(batch.timestamp[index]) + int(rng.integers(60_000, 480_000))
            customer = pop.shop_id[person] if batch.logged_in[index] else guest_emails[person]
            rows.append(
                (
                    at,
                    {
                        "customer_id": customer,
                        "timestamp": at,
                        "amount": round(subtotal + shipping - discount, 2),
                        "currency": currency,
                        "items": items,
                        "channel": channel,
                        "store_id": "",
                        "shipping_amount": shipping,
                        "discount_code": code,
                    },
                )
            )
            purchases.append(
                Purchase(person, pop.people[person].country, batch.products[index], at)
            )
    rows.sort(key=lambda pair: pair[0])
    return _numbered(rows, "W", 1_000_001), purchases


def store_orders(
    visits: StoreVisits, pop: Population, catalogue: Catalogue, rng: np.random.Generator
) -> tuple[list[Row], list[Purchase]]:
    rows: list[tuple[int, Row]] = []
    purchases = []
    buys = np.flatnonzero(rng.random(len(visits.person)) < 0.45)
    for index in buys:
        person = int(visits.person[index])
        store = STORES[int(visits.store[index])]
        count = 1 + int(rng.poisson(0.7))
        products = sorted(
            set(
                int(p)
                for p in catalogue.sample(rng, np.full(count, pop.cluster[person], dtype=np.int64))
            )
        )
        items, subtotal = _items(catalogue, products, CURRENCIES[store.country], rng)
        at = int(visits.timestamp[index]) + int(rng.integers(300_000, 2_400_000))
        rows.append(
            (
                at,
                {
                    "customer_id": pop.loyalty_card[person],
                    "timestamp": at,
                    "amount": round(subtotal, 2),
                    "currency": CURRENCIES[store.country],
                    "items": items,
                    "channel": "store",
                    "store_id": store.store_id,
                },
            )
        )
        purchases.append(Purchase(person, store.country, products, at))
    rows.sort(key=lambda pair: pair[0])
    return _numbered(rows, "S", 5_000_001), purchases


def _numbered(rows: list[tuple[int, Row]], prefix: str, first: int) -> list[Row]:
    stamps = iso_ms(np.array([at for at, _ in rows], dtype=np.int64))
    out = []
    for number, ((_, row), stamp) in enumerate(zip(rows, stamps, strict=True)):
        out.append({"order_id": f"{prefix}{first + number}", **row, "timestamp": str(stamp)})
    return out


def items_as_text(rows: list[Row]) -> list[Row]:
    """CSV cells cannot hold lists: the items column becomes a JSON list string."""
    return [{**row, "items": orjson.dumps(row["items"]).decode()} for row in rows]
