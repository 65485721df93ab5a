"""Events outside web and app sessions: e-mail, store visits, messaging, social.

Each source reports the identifier it knows: the e-mail service the CRM id and the
address it mailed, the store till the loyalty card, WeChat an OpenID and WhatsApp a
phone number, social listening a platform handle. Linking them to one person is
the identity stage's job, so none of them carries the web shop's userId.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from cxm.demo.calendar import DAY_MS, FADE_DAYS, Clock, iso_ms
from cxm.demo.config import COUNTRIES, LANGUAGES, LOCALES, DemoConfig
from cxm.demo.jsontext import concat, events_table, fragments, message_ids, pick, strings, when
from cxm.demo.places import STORES
from cxm.demo.population import Population

Ints = npt.NDArray[np.int64]
SUBJECTS = {
    "zh": (
        "新品上市：秋冬家居系列",
        "双十一预售开启",
        "会员专享：床品八折",
        "你的购物车还在等你",
        "本周精选：北欧灯具",
        "冬季外套新到",
    ),
    "de": (
        "Neu eingetroffen: die Herbstkollektion",
        "Nur dieses Wochenende: 20 % auf Bettwäsche",
        "Ihre Vorteile als Mitglied",
        "Black Week beginnt jetzt",
        "Gemütlich durch den Winter",
        "Frühlingsfrische fürs Zuhause",
    ),
    "en": (
        "New in: the autumn collection",
        "This weekend only: 20% off bedding",
        "Member perks inside",
        "Black Friday starts now",
        "Cosy up for winter",
        "Spring refresh for your home",
    ),
}


def _persons(
    pop: Population, rng: np.random.Generator, weight: npt.NDArray[np.float64], count: int
) -> Ints:
    return rng.choice(pop.size, size=count, p=weight / weight.sum()).astype(np.int64)


def person_days(
    pop: Population, clock: Clock, rng: np.random.Generator, person: Ints, trouble: float = 0.0
) -> npt.NDArray[np.float64]:
    """Days of activity; for churners a ``trouble`` share falls in their last months."""
    days = clock.sample_days(
        rng,
        pop.country[person],
        pop.first_day[person],
        pop.last_day[person],
        churn=pop.churner[person],
    )
    if trouble:
        late = pop.churner[person] & (rng.random(len(person)) < trouble)
        lo = np.maximum(pop.last_day[person] - FADE_DAYS - 30, pop.first_day[person])
        span = np.maximum(pop.last_day[person] - 5 - lo, 1.0)
        days = np.where(late, lo + rng.random(len(person)) * span, days)
    return days


def email_events(
    pop: Population,
    crm_emails: list[str],
    config: DemoConfig,
    clock: Clock,
    rng: np.random.Generator,
    budget: int,
    prefix: str,
) -> pa.Table:
    eligible = pop.email_opt_in & np.array([bool(e) for e in crm_emails])
    opens = int(budget * 0.85)
    person = _persons(pop, rng, np.where(eligible, pop.activity**0.7, 0.0), budget)
    day = person_days(pop, clock, rng, person)
    # Weekly newsletter every Thursday 09:00 local time.
    first_thursday = (3 - config.start.weekday()) % 7
    send_days = np.arange(first_thursday, config.days, 7)
    week = np.clip(np.searchsorted(send_days, day, side="right") - 1, 0, len(send_days) - 1)
    sent = (
        clock.start_ms
        + send_days[week] * DAY_MS
        + ((9 - pop.tz_hours[person]) * 3_600_000).astype(np.int64)
    )
    when_ms = sent + (rng.exponential(8.0, budget) * 3_600_000).astype(np.int64)
    clicked = np.arange(budget) >= opens
    when_ms = when_ms + np.where(clicked, rng.integers(5_000, 600_000, budget), 0)
    when_ms = np.minimum(when_ms, clock.end_ms - 1)
    campaign = concat(
        "nl-",
        strings(np.array(COUNTRIES)[pop.country[person]]),
        "-",
        strings(
            np.datetime_as_string(
                (clock.start_ms + send_days[week] * DAY_MS).astype("datetime64[ms]"), unit="D"
            )
        ),
    )
    lang = np.array([("zh", "de", "en", "en").index(LANGUAGES[c]) for c in COUNTRIES])
    subject_table = fragments([s for key in ("zh", "de", "en") for s in SUBJECTS[key]])
    subject = pick(subject_table, lang[pop.country[person]] * 6 + week % 6)
    crm = strings(pop.crm_id)
    crm_id = pick(crm, person)
    link = concat(
        ',"link_url":"https://',
        "www.lumenandco.com/?utm_source=newsletter",
        '&utm_medium=email&utm_campaign=weekly_newsletter"',
    )
    properties = concat(
        '{"campaign_id":"',
        campaign,
        '","email_subject":',
        subject,
        ',"email_id":"',
        campaign,
        "-",
        crm_id,
        '"',
        when(clicked, link, ""),
        "}",
    )
    context = concat(
        '{"channel":"email","traits":{"email":',
        pick(fragments(crm_emails), person),
        '},"library":{"name":"lumen-esp-webhook","version":"1.3.0"}}',
    )
    order = np.argsort(when_ms, kind="stable")
    table = events_table(
        message_ids(prefix, budget),
        "track",
        strings(np.where(clicked, "Email Clicked", "Email Opened")),
        crm_id,
        None,
        strings(iso_ms(when_ms)),
        properties,
        context,
    )
    return _reorder(table, order, prefix)


def _reorder(table: pa.Table, order: Ints, prefix: str) -> pa.Table:
    """Sort rows by time and renumber message ids so the file reads chronologically."""
    table = table.take(pa.array(order))
    return table.set_column(0, "message_id", message_ids(prefix, table.num_rows))


@dataclass(frozen=True)
class StoreVisits:
    person: Ints
    store: Ints  # index into STORES
    timestamp: Ints


def store_events(
    pop: Population, clock: Clock, rng: np.random.Generator, budget: int, prefix: str
) -> tuple[pa.Table, StoreVisits]:
    span = np.maximum(pop.last_day - pop.first_day, 1.0)
    person = _persons(pop, rng, np.where(pop.in_loyalty, pop.activity * span, 0.0), budget)
    day = person_days(pop, clock, rng, person)
    when_ms = clock.to_ms(rng, day, pop.tz_hours[person], store=True)
    store_index = {s.store_id: i for i, s in enumerate(STORES)}
    home = np.array([store_index[pop.home_store[p]] for p in person])
    other = np.array(
        [[i for i, s in enumerate(STORES) if s.country == c] for c in COUNTRIES], dtype=object
    )
    wander = rng.random(budget) < 0.2
    roam = np.array([int(rng.choice(other[pop.country[p]])) for p in person[wander]])
    store = home.copy()
    if wander.any():
        store[wander] = roam
    order = np.argsort(when_ms, kind="stable")
    person, store, when_ms = person[order], store[order], when_ms[order]
    store_props = fragments(
        [{"store_id": s.store_id, "store_name": s.name, "city": s.city} for s in STORES]
    )
    locale = fragments([LOCALES[c] for c in COUNTRIES])
    context = concat(
        '{"channel":"store","locale":',
        pick(locale, pop.country[person]),
        ',"library":{"name":"lumen-pos","version":"2.3.0"}}',
    )
    table = events_table(
        message_ids(prefix, budget),
        "track",
        "Store Visit",
        pick(strings(pop.loyalty_card), person),
        None,
        strings(iso_ms(when_ms)),
        concat("{", pick(store_props, store), "}"),
        context,
    )
    return table, StoreVisits(person, store, when_ms)


def messaging_events(
    pop: Population,
    e164: list[str],
    clock: Clock,
    rng: np.random.Generator,
    budget: int,
    prefix: str,
) -> pa.Table:
    wechat = np.array([bool(o) for o in pop.wechat_openid])
    reachable = wechat | pop.whatsapp
    weight = np.where(reachable, pop.activity**0.5 * np.where(pop.churner, 3.0, 1.0), 0.0)
    # WeChat followers who are shop customers bind their account once (an identify).
    binders = np.flatnonzero(wechat & pop.in_shop & (rng.random(pop.size) < 0.6))
    binders = binders[: budget // 10]
    messages = budget - len(binders)
    conversations = max(messages // 3, 1)
    person = _persons(pop, rng, weight, conversations)
    start = clock.to_ms(
        rng, person_days(pop, clock, rng, person, trouble=0.6), pop.tz_hours[person]
    )
    sizes = 1 + rng.poisson(2.0, conversations)
    sizes[-1] += messages - int(sizes.sum())  # exactly `messages` messages in total
    while sizes[-1] < 1:  # trim earlier conversations if the draw overshot
        at = int(np.argmax(sizes[:-1]))
        sizes[at] -= 1
        sizes[-1] += 1
    conv = np.repeat(np.arange(conversations), sizes)
    gaps = (rng.exponential(180.0, messages) * 1000).astype(np.int64)
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    elapsed = np.cumsum(gaps)
    at = start[conv] + elapsed - elapsed[first[conv]]
    who = person[conv]
    anon = np.array(
        [
            f"wa:{e164[p]}" if not pop.wechat_openid[p] else pop.wechat_openid[p]
            for p in range(pop.size)
        ]
        + [""]
    )
    platform = np.where(wechat[who], "wechat", "whatsapp")
    kinds = np.array(["text", "text", "text", "image", "voice"])[rng.integers(0, 5, messages)]
    properties = concat(
        '{"platform":"',
        strings(platform),
        '","conversation_id":"',
        prefix,
        "-conv",
        pa.array(conv).cast(pa.string()),
        '","message_type":"',
        strings(kinds),
        '","direction":"inbound"}',
    )
    phone = fragments([{"phone": e164[p]} if pop.whatsapp[p] else {} for p in range(pop.size)])
    context = concat(
        '{"channel":"messaging","traits":{',
        pick(phone, who),
        '},"library":{"name":"lumen-messaging-bridge","version":"0.8.0"}}',
    )
    table = events_table(
        message_ids(prefix + "m", messages),
        "track",
        "Message Received",
        None,
        strings(anon[who]),
        strings(iso_ms(at)),
        properties,
        context,
    )
    if len(binders):
        bind_ms = clock.to_ms(rng, person_days(pop, clock, rng, binders), pop.tz_hours[binders])
        binding = events_table(
            message_ids(prefix + "b", len(binders)),
            "identify",
            None,
            strings([pop.shop_id[p] for p in binders]),
            strings(anon[binders]),
            strings(iso_ms(bind_ms)),
            None,
            pa.array(
                [
                    '{"channel":"messaging","library":{"name":"lumen-messaging-bridge",'
                    '"version":"0.8.0"}}'
                ]
                * len(binders)
            ),
            traits=pa.array(['{"wechat_bound":true}'] * len(binders)),
        )
        table = pa.concat_tables([table, binding])
    times = np.concatenate([at, bind_ms]) if len(binders) else at
    return _reorder(table, np.argsort(times, kind="stable"), prefix)
