"""Web and app visits laid out as ordered events, all in vectorised numpy.

A session is a sequence of blocks — landing, login (identify), category browsing,
search, product views, add-to-cart, cart, checkout, help centre — each repeated a
drawn number of times. Every event's position inside its session follows from the
block counts, so a million events are placed without a Python loop per event.
Who is logged in follows analytics.js semantics: once a device has identified, its
later sessions carry the userId from the first event.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from cxm.demo.calendar import FADE_DAYS, Clock
from cxm.demo.catalogue import Catalogue
from cxm.demo.config import COUNTRIES, COUNTRY_WEIGHTS
from cxm.demo.population import Population

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


class Block(IntEnum):
    LANDING = 0
    IDENTIFY = 1
    BROWSE = 2
    SEARCH = 3
    VIEW = 4
    ADD = 5
    CART = 6
    CHECKOUT = 7
    HELP = 8


# Events per repetition of a block: a page (or screen) and/or the track event on it.
WIDTH = {
    Block.LANDING: 1,
    Block.IDENTIFY: 1,
    Block.BROWSE: 1,
    Block.SEARCH: 2,
    Block.VIEW: 2,
    Block.ADD: 1,
    Block.CART: 1,
    Block.CHECKOUT: 2,
    Block.HELP: 2,
}


@dataclass(frozen=True)
class Sessions:
    """One row per session, sorted by start time."""

    owner: Ints  # person index; >= population size for never-identified visitors
    country: Ints
    cluster: Ints
    start_ms: Ints
    device: Ints  # index into the device ids of this channel
    logged_in: Bools  # the userId is set from the first event
    counts: dict[Block, Ints]

    @property
    def size(self) -> int:
        return len(self.owner)


@dataclass(frozen=True)
class Layout:
    """One row per event, in session order."""

    session: Ints
    block: Ints
    unit: Ints
    sub: Ints  # 0 = the page/screen of a block, 1 = its track event
    position: Ints
    timestamp: Ints
    product: Ints  # -1 when the event is not about a product
    known: Bools  # carries the userId


def _owners(
    pop: Population, rng: np.random.Generator, count: int, app: bool, visitors: int
) -> Ints:
    span = np.maximum(pop.last_day - pop.first_day, 1.0)
    weight = pop.activity * span * np.where(pop.in_shop, 1.0, 0.45)
    if app:
        weight = np.where(pop.has_app, weight, 0.0)
    owners = rng.choice(pop.size, size=count, p=weight / weight.sum()).astype(np.int64)
    if visitors:
        anonymous = rng.random(count) < 0.22
        owners[anonymous] = pop.size + rng.integers(0, visitors, size=int(anonymous.sum()))
    return owners


def plan_sessions(
    pop: Population,
    catalogue: Catalogue,
    clock: Clock,
    rng: np.random.Generator,
    budget: int,
    devices: Ints,
    app: bool,
) -> Sessions:
    """Enough sessions that their events reach ``budget``.

    ``devices[p]`` is the first device index of person p; person p owns devices
    ``devices[p] .. devices[p+1]-1`` and visitor v owns device ``devices[-1] + v``.
    """
    count = int(budget / 4.0) + 100
    visitors = 0 if app else pop.size
    owner = _owners(pop, rng, count, app, visitors)
    person = owner < pop.size
    p = np.minimum(owner, pop.size - 1)
    country = np.where(
        person, pop.country[p], rng.choice(len(COUNTRIES), size=count, p=COUNTRY_WEIGHTS)
    )
    cluster = np.where(person, pop.cluster[p], rng.integers(0, 6, size=count))
    lo = np.where(person, pop.first_day[p], 0.0)
    hi = np.where(person, pop.last_day[p], float(clock.days))
    day = clock.sample_days(rng, country, lo, hi, churn=person & pop.churner[p])
    tz = np.array([{"CN": 8.0, "DE": 1.0, "GB": 0.0, "US": -6.0}[c] for c in COUNTRIES])
    start = clock.to_ms(rng, day, np.where(person, pop.tz_hours[p], tz[country]))
    owned = devices[p + 1] - devices[p]
    pick = np.floor(rng.random(count) ** 1.6 * owned).astype(np.int64)
    device = np.where(person, devices[p] + pick, devices[-1] + owner - pop.size)

    bounce = rng.random(count) < (0.12 if app else 0.22)
    views = np.where(bounce, 0, 1 + rng.poisson(1.6, size=count))
    adds = rng.binomial(views, 0.22)
    shop = person & pop.in_shop[p]
    checkout = (adds > 0) & (rng.random(count) < np.where(person, 0.55, 0.0))
    near_churn = person & pop.churner[p] & (day > pop.last_day[p] - FADE_DAYS)
    help_rate = np.where(near_churn, 0.22, 0.03)
    counts = {
        Block.LANDING: np.ones(count, dtype=np.int64),
        Block.BROWSE: np.where(bounce, 0, rng.poisson(1.0, size=count)),
        Block.SEARCH: (~bounce & (rng.random(count) < 0.18)).astype(np.int64),
        Block.VIEW: views,
        Block.ADD: adds,
        Block.CART: (adds > 0).astype(np.int64),
        Block.CHECKOUT: checkout.astype(np.int64),
        Block.HELP: (rng.random(count) < help_rate).astype(np.int64),
    }
    wants_login = shop & ((rng.random(count) < (1.0 if app else 0.3)) | checkout)
    # Sessions are independent draws, so keeping a prefix of the plan is an unbiased
    # sample; cutting after sorting by time would drop the most recent months.
    size = np.cumsum(np.sum([counts[b] * WIDTH[b] for b in counts], axis=0))
    keep = int(np.searchsorted(size, budget * 0.95)) + 1  # logins add the rest
    while True:
        if keep > count:
            raise ValueError("events: session plan too small for the budget")
        logged_in, identify = _logins(start[:keep], device[:keep], wants_login[:keep])
        missing = budget - int(size[keep - 1]) - int(identify.sum())
        if missing <= 0:
            break
        keep = int(np.searchsorted(size, size[keep - 1] + missing)) + 1
    order = np.argsort(start[:keep], kind="stable")
    start, device = start[:keep][order], device[:keep][order]
    logged_in, identify = logged_in[order], identify[order]
    counts = {block: values[:keep][order] for block, values in counts.items()}
    counts[Block.IDENTIFY] = identify.astype(np.int64)
    owner, country, cluster = owner[:keep][order], country[:keep][order], cluster[:keep][order]
    return Sessions(owner, country, cluster, start, device, logged_in, counts)


def _logins(start: Ints, device: Ints, wants_login: Bools) -> tuple[Bools, Bools]:
    """(logged in from the first event, logs in during the session) per session.

    A device's first login session identifies; its later sessions are logged in.
    """
    first_login = np.full(int(device.max()) + 1, np.iinfo(np.int64).max)
    np.minimum.at(first_login, device[wants_login], start[wants_login])
    return start > first_login[device], start == first_login[device]


def lay_out(sessions: Sessions, catalogue: Catalogue, rng: np.random.Generator) -> Layout:
    """Place every event of every session, in session order."""
    keep = sessions.size
    totals = np.sum([sessions.counts[b] * WIDTH[b] for b in Block], axis=0)
    base = np.concatenate([[0], np.cumsum(totals)[:-1]])
    n = int(totals.sum())
    columns = {name: np.zeros(n, dtype=np.int64) for name in ("session", "block", "unit", "sub")}
    offset = np.zeros(keep, dtype=np.int64)
    for kind in Block:
        units = sessions.counts[kind][:keep]
        width = WIDTH[kind]
        session = np.repeat(np.arange(keep), units)
        first = np.concatenate([[0], np.cumsum(units)[:-1]])
        unit = np.arange(len(session)) - np.repeat(first, units)
        for sub in range(width):
            where = base[session] + offset[session] + unit * width + sub
            columns["session"][where] = session
            columns["block"][where] = kind
            columns["unit"][where] = unit
            columns["sub"][where] = sub
        offset += units * width
    session, block, unit = columns["session"], columns["block"], columns["unit"]
    position = np.arange(n) - base[session]
    gaps = np.where(columns["sub"] == 1, rng.uniform(0.3, 3.0, n), rng.exponential(40.0, n))
    gaps[position == 0] = 0.0
    elapsed = np.cumsum((gaps * 1000).astype(np.int64))
    timestamp = sessions.start_ms[session] + elapsed - elapsed[base[session]]
    product = np.full(n, -1, dtype=np.int64)
    view_page = np.flatnonzero((block == Block.VIEW) & (columns["sub"] == 0))
    view_products = catalogue.sample(rng, sessions.cluster[session[view_page]])
    product[view_page] = view_products
    product[view_page + 1] = view_products  # the Product Viewed on that product page
    # An added product is one of the products viewed earlier in the same session.
    views = sessions.counts[Block.VIEW][:keep]
    view_base = np.concatenate([[0], np.cumsum(views)[:-1]])
    is_add = block == Block.ADD
    choice = np.floor(rng.random(int(is_add.sum())) * views[session[is_add]]).astype(np.int64)
    product[is_add] = view_products[view_base[session[is_add]] + choice]
    known = sessions.logged_in[session] | (
        (sessions.counts[Block.IDENTIFY][session] > 0) & (position >= 1)
    )
    return Layout(session, block, unit, columns["sub"], position, timestamp, product, known)
