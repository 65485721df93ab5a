"""Help-desk tickets: channel, timings, contacts, reopenings and CSAT.

Churners open about three times as many tickets, mostly in their last months, wait
longer, get reopened more often and answer CSAT lower — the service signal churn
models and service KPIs (first response, resolution time, FCR) should find.
"""

from __future__ import annotations

import numpy as np

from cxm.demo.calendar import Clock, iso_ms
from cxm.demo.channels import person_days
from cxm.demo.population import Population

Row = dict[str, object]
CHANNELS = ("email", "chat", "contact_centre", "messaging", "help_desk")
# Median minutes to first response per channel (lognormal around it).
FIRST_RESPONSE_MIN = {
    "email": 360.0,
    "chat": 2.0,
    "contact_centre": 0.5,
    "messaging": 20.0,
    "help_desk": 600.0,
}
SUBJECTS = {
    "en": (
        "Where is my order?",
        "Return request",
        "Item arrived damaged",
        "Refund not received",
        "Cannot log in to the app",
        "Change delivery address",
        "Question about sizing",
        "Charged twice",
    ),
    "de": (
        "Wo bleibt meine Bestellung?",
        "Rücksendung",
        "Artikel beschädigt angekommen",
        "Erstattung nicht erhalten",
        "Login in der App geht nicht",
        "Lieferadresse ändern",
        "Frage zur Größe",
        "Doppelt abgebucht",
    ),
    "zh": (
        "我的订单到哪了？",
        "申请退货",
        "收到的商品有破损",
        "退款还没到账",
        "App无法登录",
        "修改收货地址",
        "尺码咨询",
        "被重复扣款",
    ),
}
TOPICS = (
    "delivery",
    "returns",
    "product_quality",
    "refund",
    "app_website",
    "delivery",
    "product_question",
    "billing",
)


def make_tickets(
    pop: Population, emails: list[str], e164: list[str], clock: Clock, rng: np.random.Generator
) -> list[Row]:
    count = max(int(pop.size * 0.3), 10)
    weight = pop.activity**0.5 * np.where(pop.churner, 3.0, 1.0)
    person = rng.choice(pop.size, size=count, p=weight / weight.sum()).astype(np.int64)
    created = clock.to_ms(
        rng, person_days(pop, clock, rng, person, trouble=0.7), pop.tz_hours[person]
    )
    order = np.argsort(created, kind="stable")
    person, created = person[order], created[order]
    rows = []
    stamps: list[tuple[int, int | None, int | None]] = []
    for number, (who, at) in enumerate(zip(person, created, strict=True)):
        who, at = int(who), int(at)
        p = pop.people[who]
        churner = bool(pop.churner[who])
        channel = CHANNELS[int(rng.choice(5, p=(0.3, 0.25, 0.2, 0.1, 0.15)))]
        if channel == "messaging" and not (pop.wechat_openid[who] or pop.whatsapp[who]):
            channel = "chat"
        customer = {
            "email": emails[who],
            "help_desk": emails[who],
            "contact_centre": e164[who],
            "messaging": pop.wechat_openid[who] or f"wa:{e164[who]}",
            "chat": pop.shop_id[who] or emails[who],
        }[channel]
        slow = 2.5 if churner else 1.0
        first = at + int(FIRST_RESPONSE_MIN[channel] * slow * rng.lognormal(0, 0.6) * 60_000)
        resolve_hours = (0.5 if channel in ("chat", "contact_centre") else 20.0) * slow
        resolved: int | None = first + int(resolve_hours * rng.lognormal(0, 0.9) * 3_600_000)
        if (resolved is not None and resolved >= clock.end_ms) or rng.random() < 0.03:
            resolved = None
        first_response: int | None = first if first < clock.end_ms else None
        contacts = 1 + int(rng.poisson(1.3 if churner else 0.5))
        reopened = bool(rng.random() < (0.25 if churner else 0.07)) and resolved is not None
        csat = ""
        if resolved is not None and rng.random() < 0.38:
            unhappy = churner or reopened or contacts > 2
            csat = str(
                int(
                    rng.choice(
                        5,
                        p=(0.3, 0.25, 0.2, 0.15, 0.1)
                        if unhappy
                        else (0.03, 0.05, 0.12, 0.35, 0.45),
                    )
                )
                + 1
            )
        topic = int(rng.integers(len(TOPICS)))
        language = {"CN": "zh", "DE": "de"}.get(p.country, "en")
        rows.append(
            {
                "ticket_id": f"T-{200001 + number}",
                "customer_id": customer,
                "channel": channel,
                "contacts_count": contacts,
                "reopened": "true" if reopened else "false",
                "csat": csat,
                "subject": SUBJECTS[language][topic],
                "topic": TOPICS[topic],
                "priority": "high" if contacts > 2 else "normal",
            }
        )
        stamps.append((at, first_response, resolved))
    return _with_times(rows, stamps)


def _with_times(rows: list[Row], stamps: list[tuple[int, int | None, int | None]]) -> list[Row]:
    def text(values: list[int | None]) -> list[str]:
        known = np.array([v if v is not None else 0 for v in values], dtype=np.int64)
        out = iso_ms(known)
        return [str(t) if v is not None else "" for t, v in zip(out, values, strict=True)]

    created = text([s[0] for s in stamps])
    first = text([s[1] for s in stamps])
    resolved = text([s[2] for s in stamps])
    return [
        {
            "ticket_id": row["ticket_id"],
            "customer_id": row["customer_id"],
            "created_at": c,
            "first_response_at": f,
            "resolved_at": r,
            **{k: v for k, v in row.items() if k not in ("ticket_id", "customer_id")},
        }
        for row, c, f, r in zip(rows, created, first, resolved, strict=True)
    ]
