"""Customer records in the three sources (CRM, web shop, loyalty) and their ground truth.

Each source has its own identifier and column names and is a corrupted copy of the
true person: the CRM writes Chinese names in Han characters and is the cleanest;
the shop writes pinyin or a chosen English name, sometimes swaps name order and
holds other e-mail spellings; the loyalty desk captures names by hand at the till,
with nicknames, typos, local date and phone formats. ``truth_rows`` maps every
person to the record ids that are really theirs, for measuring identity resolution.
"""

from __future__ import annotations

import numpy as np

from cxm.demo.calendar import DAY_MS, iso_ms
from cxm.demo.catalogue import CLUSTERS
from cxm.demo.people import Person
from cxm.demo.population import Population
from cxm.demo.typos import (
    abbreviate_street,
    fold_umlauts,
    format_date,
    format_phone,
    other_email,
    typo,
    variant_email,
    variant_postcode,
)

Row = dict[str, str]
DATE_STYLE = {"CN": ("cn", "slash", "iso"), "DE": ("de",), "GB": ("gb",), "US": ("us",)}


def _maybe(rng: np.random.Generator, rate: float) -> bool:
    return bool(rng.random() < rate)


def _names(
    person: Person, rng: np.random.Generator, *, han: float, nick: float, slip: float, swap: float
) -> tuple[str, str]:
    """First and last name as one source writes them."""
    if person.country == "CN":
        if _maybe(rng, han):
            first, last = person.first_name, person.last_name
        elif person.english_name and _maybe(rng, 0.5):
            first, last = person.english_name, person.last_latin
        else:
            first, last = person.first_latin, person.last_latin
    else:
        first, last = person.first_name, person.last_name
        if person.nicknames and _maybe(rng, nick):
            first = person.nicknames[int(rng.integers(len(person.nicknames)))]
        if person.country == "DE" and _maybe(rng, 0.3):
            first, last = fold_umlauts(first, rng), fold_umlauts(last, rng)
    if _maybe(rng, slip):
        if _maybe(rng, 0.5):
            first = typo(first, rng)
        else:
            last = typo(last, rng)
    if _maybe(rng, swap):
        first, last = last, first
    return first, last


def _street(person: Person, rng: np.random.Generator, abbreviate: float) -> str:
    if person.country == "CN":
        return f"{person.street}{person.house_number}号"
    street = abbreviate_street(person.street) if _maybe(rng, abbreviate) else person.street
    if person.country in ("GB", "US"):
        return f"{person.house_number} {street}"
    return f"{street} {person.house_number}"


def _day(ms: float) -> str:
    return str(iso_ms(np.array([int(ms)], dtype=np.int64))[0])[:10]


def crm_rows(pop: Population, rng: np.random.Generator, start_ms: int) -> list[Row]:
    rows = []
    for i in np.flatnonzero(pop.in_crm):
        p = pop.people[i]
        first, last = _names(p, rng, han=0.95, nick=0.02, slip=0.02, swap=0.01)
        if p.country == "CN" and _maybe(rng, 0.08):
            first, last = "", p.last_name + p.first_name  # full name in one field
        rows.append(
            {
                "crm_id": pop.crm_id[i],
                "first_name": first,
                "last_name": last,
                "email": "" if _maybe(rng, 0.04) else p.email,
                "phone": "" if _maybe(rng, 0.1) else format_phone(p.phone, rng, 0.85),
                "birth_date": "" if _maybe(rng, 0.15) else p.birth_date,
                "address_line1": "" if _maybe(rng, 0.05) else _street(p, rng, 0.05),
                "address_line2": p.address_line2,
                "city": p.city,
                "postcode": p.postcode,
                "region": p.region,
                "country": p.country,
                "gender": p.gender if _maybe(rng, 0.8) else "",
                "created_at": _day(start_ms + pop.first_day[i] * DAY_MS - 3 * DAY_MS),
                "marketing_opt_in": "true" if pop.email_opt_in[i] else "false",
            }
        )
    return rows


def _shop_row(
    pop: Population, i: int, customer_no: str, email: str, rng: np.random.Generator, start_ms: int
) -> Row:
    p = pop.people[i]
    first, last = _names(p, rng, han=0.1, nick=0.2, slip=0.04, swap=0.03)
    if p.country == "CN" and _maybe(rng, 0.15):
        first, last = last, first  # pinyin typed in Chinese order
    city = p.city_latin if p.country == "CN" and _maybe(rng, 0.5) else p.city
    return {
        "customer_no": customer_no,
        "email_address": email,
        "firstname": first,
        "lastname": last,
        "street": "" if _maybe(rng, 0.03) else _street(p, rng, 0.35),
        "zip": variant_postcode(p.postcode, p.country, rng) if _maybe(rng, 0.5) else p.postcode,
        "town": city,
        "country_code": p.country if _maybe(rng, 0.9) else p.country.lower(),
        "registered_at": _day(start_ms + pop.first_day[i] * DAY_MS),
        "newsletter": "1" if _maybe(rng, 0.5) else "0",
    }


def shop_rows(pop: Population, rng: np.random.Generator, start_ms: int) -> list[Row]:
    rows = []
    for i in np.flatnonzero(pop.in_shop):
        p = pop.people[i]
        draw = rng.random()
        email = (
            p.email
            if draw < 0.85
            else (variant_email(p.email, rng) if draw < 0.92 else other_email(p.email, rng))
        )
        rows.append(_shop_row(pop, int(i), pop.shop_id[i], email, rng, start_ms))
        if pop.second_shop_id[i]:  # the forgotten-password second account
            second_email = other_email(p.email, rng)
            rows.append(_shop_row(pop, int(i), pop.second_shop_id[i], second_email, rng, start_ms))
    return rows


def loyalty_rows(pop: Population, rng: np.random.Generator, start_ms: int) -> list[Row]:
    tiers = ("bronze", "silver", "gold")
    rows = []
    for i in np.flatnonzero(pop.in_loyalty):
        p = pop.people[i]
        first, last = _names(p, rng, han=0.7, nick=0.15, slip=0.08, swap=0.03)
        styles = DATE_STYLE[p.country]
        dob = format_date(p.birth_date, styles[int(rng.integers(len(styles)))])
        rows.append(
            {
                "card_number": pop.loyalty_card[i],
                "mobile": "" if _maybe(rng, 0.05) else format_phone(p.phone, rng, 0.3),
                "given_name": first,
                "family_name": last,
                "dob": "" if _maybe(rng, 0.1) else dob,
                "home_store": pop.home_store[i],
                "tier": tiers[min(int(pop.activity[i] // 1.2), 2)],
                "points": str(int(pop.activity[i] * 800 + rng.integers(0, 300))),
                "joined_on": _day(start_ms + pop.first_day[i] * DAY_MS + 7 * DAY_MS),
            }
        )
    return rows


def truth_rows(pop: Population, start_ms: int) -> list[Row]:
    """person_id -> the record ids that are really that person's, plus behaviour labels."""
    rows = []
    for i, p in enumerate(pop.people):
        shop_ids = [s for s in (pop.shop_id[i], pop.second_shop_id[i]) if s]
        rows.append(
            {
                "person_id": p.person_id,
                "country": p.country,
                "crm_id": pop.crm_id[i],
                "shop_ids": ";".join(shop_ids),
                "loyalty_card": pop.loyalty_card[i],
                "email": p.email,
                "wechat_openid": pop.wechat_openid[i],
                "taste_cluster": CLUSTERS[int(pop.cluster[i])][0],
                "churner": "true" if pop.churner[i] else "false",
                "churned_on": _day(start_ms + pop.last_day[i] * DAY_MS) if pop.churner[i] else "",
                "activity": f"{pop.activity[i]:.3f}",
            }
        )
    return rows
