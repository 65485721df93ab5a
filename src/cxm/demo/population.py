"""Who the demo customers are as a business sees them: sources, tastes, value and churn.

One :class:`Population` holds the people (ground truth) plus vectorised behaviour:
which of the three customer sources know each person, their taste cluster (what
they browse and buy), how active they are, when they first appeared and, for the
churning sub-population, the day their activity has faded out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cxm.demo.catalogue import CLUSTERS
from cxm.demo.config import COUNTRIES, DemoConfig
from cxm.demo.people import Person, make_people
from cxm.demo.places import STORES

Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

# Which sources know a person: (crm, shop, loyalty) -> share. Most people are in two,
# a good share in all three, some in only one.
MEMBERSHIP: tuple[tuple[tuple[bool, bool, bool], float], ...] = (
    ((True, True, True), 0.25),
    ((True, True, False), 0.25),
    ((False, True, True), 0.15),
    ((True, False, True), 0.15),
    ((False, True, False), 0.10),
    ((True, False, False), 0.05),
    ((False, False, True), 0.05),
)
CHURN_SHARE = 0.22
# Share of shop customers who opened a second account with another e-mail address.
SECOND_SHOP_ACCOUNT = 0.02


@dataclass(frozen=True)
class Population:
    people: list[Person]
    country: Ints  # index into COUNTRIES
    tz_hours: Floats
    in_crm: Bools
    in_shop: Bools
    in_loyalty: Bools
    crm_id: list[str]
    shop_id: list[str]  # primary web-shop customer number; the web/app userId
    second_shop_id: list[str]  # "" unless the person has a duplicate shop account
    loyalty_card: list[str]
    home_store: list[str]
    cluster: Ints  # taste cluster, index into catalogue.CLUSTERS
    activity: Floats  # relative engagement, heavy tailed
    first_day: Floats  # first day active in the window (may be 0 for old customers)
    churner: Bools
    last_day: Floats  # churners: the day activity has faded out; others: end of window
    has_app: Bools
    email_opt_in: Bools
    wechat_openid: list[str]  # "" when the person does not message the brand on WeChat
    whatsapp: Bools

    @property
    def size(self) -> int:
        return len(self.people)


def _ids(prefix: str, mask: Bools, rng: np.random.Generator, width: int) -> list[str]:
    """Unique, shuffled identifiers for the rows in ``mask`` ('' elsewhere)."""
    numbers = rng.permutation(int(mask.sum())) + 10 ** (width - 1)
    out = [""] * len(mask)
    for row, number in zip(np.flatnonzero(mask), numbers, strict=True):
        out[int(row)] = f"{prefix}{int(number)}"
    return out


def _openid(rng: np.random.Generator) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
    return "o" + "".join(alphabet[int(i)] for i in rng.integers(0, 64, size=27))


def make_population(config: DemoConfig, rng: np.random.Generator) -> Population:
    people = make_people(rng, config.customers)
    n = len(people)
    country = np.array([COUNTRIES.index(p.country) for p in people], dtype=np.int64)
    shares = np.array([share for _, share in MEMBERSHIP])
    membership = rng.choice(len(MEMBERSHIP), size=n, p=shares / shares.sum())
    flags = np.array([m for m, _ in MEMBERSHIP], dtype=bool)[membership]
    in_crm, in_shop, in_loyalty = flags[:, 0], flags[:, 1], flags[:, 2]
    second = in_shop & (rng.random(n) < SECOND_SHOP_ACCOUNT)
    shop_numbers = _ids("", in_shop, rng, 7)
    second_ids = _ids("", second, rng, 8)
    home_store = []
    for p in people:
        local = [s for s in STORES if s.country == p.country]
        same_city = [s for s in local if s.city == p.city] or local
        home_store.append(same_city[int(rng.integers(len(same_city)))].store_id)
    first_day = rng.uniform(-365.0, config.days - 30.0, size=n).clip(0, None)
    churner = rng.random(n) < CHURN_SHARE
    # A churner is active for at least 60 days, then fades; the fade ends before the
    # window does so that "no activity in the last 60 days" is observable.
    earliest = np.minimum(first_day + 60.0, config.days - 45.0)
    last_day = np.where(churner, rng.uniform(earliest, config.days - 45.0), float(config.days))
    churner = churner & (last_day > first_day + 30.0)
    last_day = np.where(churner, last_day, float(config.days))
    cn = country == COUNTRIES.index("CN")
    wechat = cn & (rng.random(n) < 0.7)
    return Population(
        people=people,
        country=country,
        tz_hours=np.array([p.tz_hours for p in people], dtype=np.float64),
        in_crm=in_crm,
        in_shop=in_shop,
        in_loyalty=in_loyalty,
        crm_id=_ids("CRM-", in_crm, rng, 6),
        shop_id=[s if flag else "" for s, flag in zip(shop_numbers, in_shop, strict=True)],
        second_shop_id=second_ids,
        loyalty_card=_ids("7391", in_loyalty, rng, 9),
        home_store=home_store,
        cluster=rng.integers(0, len(CLUSTERS), size=n).astype(np.int64),
        activity=rng.lognormal(0.0, 0.9, size=n) * np.where(churner, 1.2, 1.0),
        first_day=first_day,
        churner=churner,
        last_day=last_day,
        has_app=in_shop & (rng.random(n) < 0.4),
        email_opt_in=in_crm & (rng.random(n) < 0.7),
        wechat_openid=[_openid(rng) if w else "" for w in wechat],
        whatsapp=~cn & (rng.random(n) < 0.35),
    )
