"""Render laid-out web and app sessions as Segment messages (flat event columns).

Output columns are the flat events format the importer reads: message_id, type,
event, name, user_id, anonymous_id, timestamp, and JSON text in properties,
context and traits. Web messages look like cxm.js/analytics.js sent them (context
page, campaign only on the landing page, userAgent, ip, locale); app messages like
the mobile libraries (screen events, context app/device/os).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from cxm.demo.calendar import iso_ms
from cxm.demo.catalogue import CATEGORIES, Catalogue
from cxm.demo.config import COUNTRIES, CURRENCIES
from cxm.demo.devices import Devices
from cxm.demo.jsontext import (
    concat,
    events_table,
    fragments,
    message_ids,
    pick,
    quoted,
    strings,
    when,
)
from cxm.demo.population import Population
from cxm.demo.sessions import Block, Layout, Sessions
from cxm.demo.site import HELP_TOPICS, Site, acquisitions

Ints = npt.NDArray[np.int64]
TRACK_NAMES = {
    Block.SEARCH: "Products Searched",
    Block.VIEW: "Product Viewed",
    Block.ADD: "Product Added",
    Block.CHECKOUT: "Checkout Started",
    Block.HELP: "Help Center Viewed",
}
SEARCHES = {
    "zh": ("床品四件套", "亚麻", "台灯", "羊绒围巾", "餐具", "沙发", "大衣", "香薰"),
    "de": (
        "bettwäsche leinen",
        "lampe",
        "kaschmir schal",
        "pfanne",
        "sessel",
        "wintermantel",
        "handtücher",
        "vase",
    ),
    "en": (
        "linen bedding",
        "table lamp",
        "cashmere scarf",
        "dutch oven",
        "armchair",
        "wool coat",
        "towels",
        "vase",
    ),
}


@dataclass(frozen=True)
class Checkouts:
    """The Checkout Started events, for turning some into orders."""

    owner: Ints
    country: Ints
    timestamp: Ints
    logged_in: npt.NDArray[np.bool_]
    products: list[list[int]]
    app: bool


def _pages(
    sessions: Sessions, layout: Layout, site: Site, catalogue: Catalogue, rng: np.random.Generator
) -> Ints:
    """Global page index (country-major) of every event."""
    n = len(layout.session)
    block = layout.block
    local = np.zeros(n, dtype=np.int64)
    landing_on_category = rng.random(n) < 0.4
    category = catalogue.category_index[catalogue.sample(rng, sessions.cluster[layout.session])]
    local = np.where(
        (block == Block.LANDING) & landing_on_category, site.category_base + category, local
    )
    local = np.where(block == Block.BROWSE, site.category_base + category, local)
    local = np.where(block == Block.SEARCH, site.fixed("search"), local)
    local = np.where(
        (block == Block.VIEW) | (block == Block.ADD),
        site.product_base + np.maximum(layout.product, 0),
        local,
    )
    local = np.where(block == Block.CART, site.fixed("cart"), local)
    local = np.where(block == Block.CHECKOUT, site.fixed("checkout"), local)
    topic = rng.integers(0, len(HELP_TOPICS), size=n)
    help_page = np.array([site.fixed(f"help/{t}") for t in HELP_TOPICS])[topic]
    # Both events of a help block show the same article.
    help_page = np.where(layout.sub == 1, np.roll(help_page, 1), help_page)
    local = np.where(block == Block.HELP, help_page, local)
    local = np.where(block == Block.IDENTIFY, np.roll(local, 1), local)
    return sessions.country[layout.session] * site.per_country + local


def _landing(sessions: Sessions, rng: np.random.Generator) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Per session: URL query, referrer (JSON text) and context.campaign member text."""
    options = [(index, o) for index, c in enumerate(COUNTRIES) for o in acquisitions(c)]
    choice = np.empty(sessions.size, dtype=np.int64)
    for country in range(len(COUNTRIES)):
        rows = sessions.country == country
        ids = np.array([i for i, (c, _) in enumerate(options) if c == country])
        weights = np.array([options[i][1].weight for i in ids])
        choice[rows] = ids[rng.choice(len(ids), size=int(rows.sum()), p=weights / weights.sum())]
    query = pick(strings([o.query() for _, o in options]), choice)
    gclid = np.array([o.gclid for _, o in options])[choice]
    click = pc.cast(pa.array(rng.integers(0, 2**62, size=sessions.size)), pa.string())
    query = when(gclid, concat("gclid=Cj0KCQiA", click), query)
    referrer = pick(fragments([o.referrer for _, o in options]), choice)
    campaigns = [
        {
            "campaign": {
                k: v
                for k, v in (("source", o.source), ("medium", o.medium), ("name", o.campaign))
                if v
            }
        }
        if o.source
        else {}
        for _, o in options
    ]
    return query, referrer, pick(fragments(campaigns), choice)


def render_sessions(
    sessions: Sessions,
    layout: Layout,
    pop: Population,
    devices: Devices,
    catalogue: Catalogue,
    site: Site,
    shop_emails: list[str],
    rng: np.random.Generator,
    prefix: str,
    app: bool,
) -> tuple[pa.Table, Checkouts]:
    n = len(layout.session)
    s = layout.session
    block, sub = layout.block, layout.sub
    owner = sessions.owner[s]
    person = np.minimum(owner, pop.size - 1)
    is_page = (sub == 0) & (block != Block.IDENTIFY) & (block != Block.ADD)
    is_track = ~is_page & (block != Block.IDENTIFY)
    page = _pages(sessions, layout, site, catalogue, rng)
    page_kind = "screen" if app else "page"
    kind = np.where(is_page, page_kind, np.where(is_track, "track", "identify"))
    event_names = np.array([TRACK_NAMES.get(Block(b), "") for b in range(len(Block))])
    event = when(is_track, strings(event_names[block]), pa.scalar(None, pa.string()))
    screens = strings([p.screen for p in site.pages])
    name = when(is_page, pick(screens, page), pa.scalar(None, pa.string()))
    shop_ids = strings([*pop.shop_id, ""])
    user_index = np.where(layout.known, person, pop.size)
    user_id = pc.if_else(pa.array(layout.known), pick(shop_ids, user_index), None)
    anonymous_id = pick(strings(devices.ids), sessions.device[s])
    # The page each event happened on is the latest page event of its session.
    last_page = np.maximum.accumulate(np.where(is_page, np.arange(n), 0))
    landing_page = layout.position[last_page] == 0
    currency = np.array([CURRENCIES[c] for c in COUNTRIES])[sessions.country[s]]
    product_frags = _product_fragments(catalogue)
    product = product_frags.take(
        pa.array(sessions.country[s] * catalogue.size + np.maximum(layout.product, 0))
    )
    if app:
        page_member = pa.array([""] * n, type=pa.string())
        page_props = when(block == Block.VIEW, concat("{", product, "}"), "{}")
    else:
        query, referrer, campaign = _landing(sessions, rng)
        url = strings([p.url for p in site.pages])
        page_url = pick(url, page)
        landing_query = pick(query, s)
        full_url = when(
            landing_page & (pc.utf8_length(landing_query).to_numpy() > 0),
            concat(page_url, "?", landing_query),
            page_url,
        )
        previous = np.maximum(np.arange(n) - 1, 0)
        ref = when(layout.position == 0, pick(referrer, s), quoted(pick(url, page[previous])))
        ref = pick(ref, last_page)  # a track event reports its page's referrer
        search = when(
            landing_page & (pc.utf8_length(landing_query).to_numpy() > 0),
            concat('"?', landing_query, '"'),
            '""',
        )
        fields = concat(
            '"path":',
            pick(fragments([p.path for p in site.pages]), page),
            ',"referrer":',
            ref,
            ',"search":',
            search,
            ',"title":',
            pick(fragments([p.title for p in site.pages]), page),
            ',"url":"',
            full_url,
            '"',
        )
        fields = pick(fields, last_page)
        page_member = concat('"page":{', fields, "}")
        campaign_member = when(landing_page, pick(campaign, s), "")
        has_campaign = pc.utf8_length(campaign_member).to_numpy() > 0
        page_member = when(has_campaign, concat(page_member, ",", campaign_member), page_member)
        page_member = concat(page_member, ",")
        page_props = concat("{", fields, "}")
    language = np.array([{"CN": 0, "DE": 1}.get(c, 2) for c in COUNTRIES])[sessions.country[s]]
    search_table = fragments([{"query": q} for lang in ("zh", "de", "en") for q in SEARCHES[lang]])
    search_props = pick(search_table, language * 8 + rng.integers(0, 8, size=n))
    help_props = concat('{"topic":"', strings(np.array(HELP_TOPICS)[rng.integers(0, 5, n)]), '"}')
    cart = concat(',"quantity":1,"cart_id":"', prefix, "-c", pc.cast(pa.array(s), pa.string()), '"')
    properties = page_props
    properties = when((block == Block.VIEW) & (sub == 1), concat("{", product, "}"), properties)
    properties = when(block == Block.ADD, concat("{", product, cart, "}"), properties)
    properties = when(
        (block == Block.SEARCH) & (sub == 1), concat("{", search_props, "}"), properties
    )
    properties = when((block == Block.HELP) & (sub == 1), help_props, properties)
    properties = when(block == Block.IDENTIFY, pa.scalar(None, pa.string()), properties)
    checkouts, checkout_props, checkout_rows = _checkouts(
        sessions, layout, catalogue, currency, prefix, app
    )
    if len(checkout_rows):
        index = np.full(n, 0, dtype=np.int64)
        index[checkout_rows] = np.arange(len(checkout_rows))
        mask = np.zeros(n, dtype=bool)
        mask[checkout_rows] = True
        properties = when(mask, pick(checkout_props, index), properties)
    channel = "app" if app else "web"
    context = concat(
        '{"channel":"', channel, '",', page_member, pick(devices.context, sessions.device[s]), "}"
    )
    emails = fragments([{"email": e} for e in shop_emails] + [{}])
    traits = when(
        block == Block.IDENTIFY,
        concat("{", pick(emails, user_index), "}"),
        pa.scalar(None, pa.string()),
    )
    table = events_table(
        message_ids(prefix, n),
        strings(kind),
        event,
        user_id,
        anonymous_id,
        strings(iso_ms(layout.timestamp)),
        properties,
        context,
        traits,
        name,
    )
    return table, checkouts


def _product_fragments(catalogue: Catalogue) -> pa.Array:
    members = []
    for country in COUNTRIES:
        currency = CURRENCIES[country]
        prices = catalogue.price(np.arange(catalogue.size), currency)
        for index in range(catalogue.size):
            members.append(
                {
                    "product_id": catalogue.product_id[index],
                    "name": catalogue.name_zh[index] if country == "CN" else catalogue.name[index],
                    "category": CATEGORIES[int(catalogue.category_index[index])][1],
                    "price": float(prices[index]),
                    "currency": currency,
                }
            )
    return fragments(members)


def _checkouts(
    sessions: Sessions,
    layout: Layout,
    catalogue: Catalogue,
    currency: npt.NDArray[np.str_],
    prefix: str,
    app: bool,
) -> tuple[Checkouts, pa.Array, Ints]:
    rows = np.flatnonzero((layout.block == Block.CHECKOUT) & (layout.sub == 1))
    added = np.flatnonzero(layout.block == Block.ADD)
    by_session: dict[int, list[int]] = {}
    for row in added:
        by_session.setdefault(int(layout.session[row]), []).append(int(layout.product[row]))
    products, texts = [], []
    for row in rows:
        session = int(layout.session[row])
        added_here = by_session.get(session, [])
        items = sorted(set(added_here))
        products.append(added_here)
        cur = str(currency[row])
        prices = catalogue.price(np.array(items, dtype=np.int64), cur)
        quantity = [added_here.count(p) for p in items]
        texts.append(
            orjson.dumps(
                {
                    "checkout_id": f"{prefix}-c{session}",
                    "value": round(float((prices * np.array(quantity)).sum()), 2),
                    "currency": cur,
                    "products": [
                        {
                            "product_id": catalogue.product_id[p],
                            "quantity": q,
                            "price": float(price),
                        }
                        for p, q, price in zip(items, quantity, prices, strict=True)
                    ],
                }
            ).decode()
        )
    session_of = layout.session[rows]
    checkouts = Checkouts(
        owner=sessions.owner[session_of],
        country=sessions.country[session_of],
        timestamp=layout.timestamp[rows],
        logged_in=layout.known[rows],
        products=products,
        app=app,
    )
    return checkouts, pa.array(texts, type=pa.string()), rows
