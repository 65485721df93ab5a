"""The true identity of every demo person: name, birth date, contact and address.

This is the ground truth the three customer sources are corrupted copies of. Names,
e-mails and phones are drawn per country; e-mails are made unique the way mail
providers do it (a number appended), so one address never belongs to two people.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cxm.demo.config import COUNTRIES, COUNTRY_WEIGHTS
from cxm.demo.names import (
    CHINESE_FIRST,
    CHINESE_LAST,
    EMAIL_DOMAINS,
    ENGLISH_FIRST,
    ENGLISH_LAST,
    GERMAN_FIRST,
    GERMAN_LAST,
)
from cxm.demo.places import CITIES, CN_DISTRICTS, GB_INWARD_LETTERS, GB_OUTWARD, STREETS

_ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ı": "i", "'": ""})
COUNTRY_CODES = {"CN": "86", "DE": "49", "GB": "44", "US": "1"}
_CITIES_BY_COUNTRY = {
    country: [i for i, c in enumerate(CITIES) if c.country == country] for country in COUNTRIES
}
_CITY_CDF = {
    country: np.cumsum([CITIES[i].weight for i in rows]) / sum(CITIES[i].weight for i in rows)
    for country, rows in _CITIES_BY_COUNTRY.items()
}
_DOMAIN_CDF = {
    country: np.cumsum([s for _, s in pairs]) / sum(s for _, s in pairs)
    for country, pairs in EMAIL_DOMAINS.items()
}


def _pick(rng: np.random.Generator, cdf: np.ndarray) -> int:
    """Index drawn with the probabilities whose cumulative sum is ``cdf`` (fast scalar)."""
    return min(int(np.searchsorted(cdf, rng.random(), side="right")), len(cdf) - 1)


def _one(rng: np.random.Generator, options: tuple[str, ...] | str) -> str:
    return options[int(rng.integers(len(options)))]


@dataclass(frozen=True)
class Phone:
    """A phone number split so each source can write it in its own format."""

    country_code: str
    prefix: str  # area code or mobile prefix, without the national trunk 0
    subscriber: str
    mobile: bool


@dataclass(frozen=True)
class Person:
    person_id: str
    country: str
    gender: str
    first_name: str  # as written natively (Han characters for Chinese people)
    last_name: str
    first_latin: str  # pinyin / ASCII-safe spelling
    last_latin: str
    nicknames: tuple[str, ...]
    english_name: str  # the Western name some Chinese customers use, else ""
    birth_date: str  # ISO
    email: str
    phone: Phone
    street: str
    house_number: str
    address_line2: str
    city: str
    city_latin: str
    postcode: str
    region: str
    tz_hours: float


def ascii_name(text: str) -> str:
    return text.lower().translate(_ASCII).replace(" ", "")


def _postcode(rng: np.random.Generator, city_index: int) -> str:
    city = CITIES[city_index]
    if city.country == "GB":
        outward = GB_OUTWARD[city.name][int(rng.integers(len(GB_OUTWARD[city.name])))]
        letters = _one(rng, GB_INWARD_LETTERS) + _one(rng, GB_INWARD_LETTERS)
        return f"{outward} {int(rng.integers(1, 10))}{letters}"
    width = 6 if city.country == "CN" else 5
    return str(int(rng.integers(city.postcode_lo, city.postcode_hi + 1))).zfill(width)


def _phone(rng: np.random.Generator, country: str, area_code: str) -> Phone:
    code = COUNTRY_CODES[country]
    if country == "CN":
        prefix = _one(rng, ("138", "139", "136", "186", "150", "159", "177", "188"))
        return Phone(code, prefix, f"{int(rng.integers(0, 10**8)):08d}", True)
    if country == "US":
        return Phone(code, area_code, f"555{int(rng.integers(0, 10**4)):04d}", False)
    if rng.random() < 0.65:  # most people give a mobile number
        if country == "DE":
            prefix = _one(rng, ("151", "152", "160", "170", "171", "176", "177"))
            return Phone(code, prefix, f"{int(rng.integers(10**7, 10**8))}", True)
        return Phone(
            code,
            "7" + _one(rng, ("700", "711", "722", "801", "932")),
            f"{int(rng.integers(10**5, 10**6))}",
            True,
        )
    digits = 8 if country == "GB" and len(area_code) == 2 else 7
    return Phone(code, area_code, f"{int(rng.integers(10 ** (digits - 1), 10**digits))}", False)


def _email(rng: np.random.Generator, country: str, first: str, last: str, year: int) -> str:
    domain = EMAIL_DOMAINS[country][_pick(rng, _DOMAIN_CDF[country])][0]
    if domain == "qq.com" and rng.random() < 0.6:
        return f"{int(rng.integers(10**6, 3 * 10**9))}@qq.com"
    f, la = ascii_name(first), ascii_name(last)
    pattern = int(rng.integers(6))
    local = [
        f"{f}.{la}",
        f"{f}{la}",
        f"{f[0]}.{la}",
        f"{f}_{la}{year % 100:02d}",
        f"{la}{f}",
        f"{f}.{la}{int(rng.integers(1, 99))}",
    ][pattern]
    return f"{local}@{domain}"


def _names(rng: np.random.Generator, country: str) -> tuple[str, ...]:
    """(gender, first, last, first_latin, last_latin, english_name, nicknames joined)."""
    if country == "CN":
        han, pinyin, gender, english = CHINESE_FIRST[int(rng.integers(len(CHINESE_FIRST)))]
        last_han, last_pinyin = CHINESE_LAST[int(rng.integers(len(CHINESE_LAST)))]
        return gender, han, last_han, pinyin, last_pinyin, english, ""
    pool, surnames = (
        (GERMAN_FIRST, GERMAN_LAST) if country == "DE" else (ENGLISH_FIRST, ENGLISH_LAST)
    )
    first, gender, nicknames = pool[int(rng.integers(len(pool)))]
    last = surnames[int(rng.integers(len(surnames)))]
    return gender, first, last, first, last, "", "|".join(nicknames)


def make_people(rng: np.random.Generator, count: int) -> list[Person]:
    """Draw ``count`` people; the same generator state gives the same people."""
    countries = rng.choice(len(COUNTRIES), size=count, p=COUNTRY_WEIGHTS)
    people: list[Person] = []
    seen_emails: set[str] = set()
    for index in range(count):
        country = COUNTRIES[int(countries[index])]
        city_index = _CITIES_BY_COUNTRY[country][_pick(rng, _CITY_CDF[country])]
        city = CITIES[city_index]
        gender, first, last, first_latin, last_latin, english, nicks = _names(rng, country)
        year = int(rng.integers(1950, 2006))
        birth = f"{year}-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}"
        email = _email(rng, country, first_latin, last_latin, year)
        while email in seen_emails:  # providers hand out the next free number
            local, domain = email.split("@")
            email = f"{local}{int(rng.integers(2, 999))}@{domain}"
        seen_emails.add(email)
        street = STREETS[country][int(rng.integers(len(STREETS[country])))]
        if country == "CN":
            street = CN_DISTRICTS[int(rng.integers(len(CN_DISTRICTS)))] + street
        line2 = ""
        if country in ("GB", "US") and rng.random() < 0.25:
            line2 = f"{'Apt' if country == 'US' else 'Flat'} {int(rng.integers(1, 40))}"
        elif country == "CN":
            building, floor, flat = (int(x) for x in rng.integers(1, 30, size=3))
            line2 = f"{building}号楼{floor}0{flat % 9 + 1}室"
        people.append(
            Person(
                person_id=f"P{index + 1:06d}",
                country=country,
                gender=gender,
                first_name=first,
                last_name=last,
                first_latin=first_latin,
                last_latin=last_latin,
                nicknames=tuple(n for n in nicks.split("|") if n),
                english_name=english if rng.random() < 0.3 else "",
                birth_date=birth,
                email=email,
                phone=_phone(rng, country, city.area_code),
                street=street,
                house_number=str(int(rng.integers(1, 250 if country == "US" else 120))),
                address_line2=line2,
                city=city.name,
                city_latin=city.name_latin or city.name,
                postcode=_postcode(rng, city_index),
                region=city.region,
                tz_hours=city.tz_hours,
            )
        )
    return people


def e164(phone: Phone) -> str:
    """The canonical international form (what identity normalisation should arrive at)."""
    return f"+{phone.country_code}{phone.prefix}{phone.subscriber}"
