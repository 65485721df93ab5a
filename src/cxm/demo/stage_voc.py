"""The voc stage's part of the demo (see ``cxm.demo.stages``).

What a CX team would do with Lumen & Co.'s data, and what its customers would say:

1. define three surveys in zh/de/en — post-purchase CSAT (triggered by ``Order
   Completed``, 2 days later, 35% sampled), post-ticket CES (``Ticket Resolved``,
   1 hour later) and relationship NPS waves with five Kano features and an open
   question — each routing follow-up cases to a team;
2. record the survey consent people gave at checkout (most said yes, some no, some
   never answered — those stay blocked by the GDPR-safe default);
3. run the triggers over the historical events, as the worker would have, so
   invitations and blocked ones (consent, recontact cooldown) are recorded;
4. answer for a sample of the invited, in their language, with texts from the
   demo's own generator; answers follow what each person really lived in the data:
   reopened, multi-contact or slow tickets mean high effort; unhappy reviews,
   trouble tickets and the generator's churners mean low CSAT and NPS. Detractor,
   low-CSAT and high-effort answers open cases; older cases are worked and closed.

Responses are written in bulk (validated by the same ``check_answers`` as the API),
since the API path is per response and the default demo has thousands.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from cxm.demo.files import DemoFiles
from cxm.demo.texts import compose
from cxm.store import Database

SEED = 4
RESPONSE_RATE = 0.42
KANO_FEATURES = {
    # feature id: (texts, true category the simulated answers lean to)
    "next_day_delivery": (
        {"en": "Next-day delivery", "de": "Lieferung am nächsten Tag", "zh": "次日达配送"},
        "O",
    ),
    "free_returns": ({"en": "Free returns", "de": "Kostenlose Rücksendung", "zh": "免费退货"}, "M"),
    "gift_wrapping": ({"en": "Gift wrapping", "de": "Geschenkverpackung", "zh": "礼品包装"}, "A"),
    "app_loyalty_points": (
        {"en": "Loyalty points in the app", "de": "Treuepunkte in der App", "zh": "App 会员积分"},
        "I",
    ),
    "live_chat": (
        {"en": "Live chat with an advisor", "de": "Live-Chat mit Beratung", "zh": "在线顾问聊天"},
        "A",
    ),
}
# An answer pair that classifies as each category in the standard Kano table.
KANO_PAIRS = {
    "A": ("like", "neutral"),
    "O": ("like", "dislike"),
    "M": ("must-be", "dislike"),
    "I": ("neutral", "neutral"),
    "R": ("dislike", "like"),
    "Q": ("like", "like"),
}
WHY = {
    "en": "What is the main reason for your score?",
    "de": "Was ist der Hauptgrund für Ihre Bewertung?",
    "zh": "您给出这个评分的主要原因是什么？",
}


def _surveys() -> list[dict[str, Any]]:
    languages = ["en", "de", "zh"]
    return [
        {
            "survey_id": "post-purchase-csat",
            "name": "Post-purchase CSAT",
            "default_language": "en",
            "languages": languages,
            "touchpoint": "purchase",
            "channel": "email",
            "title": {
                "en": "How was your order?",
                "de": "Wie war Ihre Bestellung?",
                "zh": "您的订单体验如何？",
            },
            "questions": [
                {
                    "id": "csat",
                    "type": "csat",
                    "required": True,
                    "text": {
                        "en": "How satisfied are you with your order?",
                        "de": "Wie zufrieden sind Sie mit Ihrer Bestellung?",
                        "zh": "您对这次订单满意吗？",
                    },
                },
                {"id": "why", "type": "text", "text": WHY},
            ],
            "routing": {"owner": "ecommerce-team", "sla_hours": 48},
            "rules": {"cooldown_days": 30},
        },
        {
            "survey_id": "post-ticket-ces",
            "name": "Post-ticket CES",
            "default_language": "en",
            "languages": languages,
            "touchpoint": "support",
            "channel": "email",
            "title": {
                "en": "Your support request",
                "de": "Ihre Support-Anfrage",
                "zh": "您的客服请求",
            },
            "questions": [
                {
                    "id": "ces",
                    "type": "ces",
                    "required": True,
                    "text": {
                        "en": "Lumen & Co. made it easy for me to handle my issue.",
                        "de": "Lumen & Co. hat es mir leicht gemacht, mein Anliegen zu lösen.",
                        "zh": "Lumen & Co. 让我轻松地解决了问题。",
                    },
                },
                {
                    "id": "why",
                    "type": "text",
                    "text": WHY,
                    "show_if": {"question": "ces", "op": "lte", "value": 4},
                },
            ],
            "routing": {"owner": "service-team", "sla_hours": 24},
            "rules": {"cooldown_days": 14},
        },
        {
            "survey_id": "relationship-nps",
            "name": "Relationship NPS",
            "default_language": "en",
            "languages": languages,
            "touchpoint": "relationship",
            "channel": "email",
            "title": {
                "en": "Lumen & Co. and you",
                "de": "Lumen & Co. und Sie",
                "zh": "Lumen & Co. 与您",
            },
            "questions": [
                {
                    "id": "nps",
                    "type": "nps",
                    "required": True,
                    "text": {
                        "en": "How likely are you to recommend Lumen & Co. to a friend?",
                        "de": "Wie wahrscheinlich ist es, dass Sie Lumen & Co. "
                        "einem Freund empfehlen?",
                        "zh": "您向朋友推荐 Lumen & Co. 的可能性有多大？",
                    },
                },
                {"id": "why", "type": "text", "text": WHY},
                {
                    "id": "features",
                    "type": "kano",
                    "page_break": True,
                    "text": {
                        "en": "What do you think of these services?",
                        "de": "Was halten Sie von diesen Services?",
                        "zh": "您如何看待这些服务？",
                    },
                    "features": [{"id": k, "text": v[0]} for k, v in KANO_FEATURES.items()],
                },
            ],
            "routing": {"owner": "cx-team", "sla_hours": 72},
            "rules": {"cooldown_days": 180},
        },
    ]


def _triggers() -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            "post-purchase-csat",
            {
                "event": "Order Completed",
                "delay_minutes": 2 * 24 * 60,
                "sample_percent": 35,
                "channel": "email",
                "touchpoint": "purchase",
            },
        ),
        (
            "post-ticket-ces",
            {
                "event": "Ticket Resolved",
                "delay_minutes": 60,
                "sample_percent": 100,
                "channel": "email",
                "touchpoint": "support",
            },
        ),
    ]


# Profile ids carry their creation time, so they differ on every load of the same
# files; ordering people by their smallest identifier instead makes the seeded draws
# (consent, waves, answers) land on the same people every run.
_STABLE_KEYS = (
    "(SELECT profile_id, min(id_type || ':' || id_value) AS key FROM identifiers "
    "GROUP BY profile_id)"
)


def _record_consent(
    database: Database, rng: np.random.Generator, profiles: list[str], at: datetime
) -> int:
    """Survey consent given at checkout: 78% yes, 7% no, the rest never asked."""
    draw = rng.random(len(profiles))
    rows = [
        (p, "granted" if d < 0.78 else "denied")
        for p, d in zip(profiles, draw, strict=True)
        if d < 0.85
    ]
    if not rows:
        return 0
    n = len(rows)
    table = pa.table(
        {
            "entry_id": [f"{at.timestamp():.0f}-demo-{uuid.uuid4().hex[:12]}" for _ in range(n)],
            "profile_id": [p for p, _ in rows],
            "identifier": [f"profile:{p}" for p, _ in rows],
            "purpose": ["surveys"] * n,
            "channel": ["*"] * n,
            "status": [s for _, s in rows],
            "recorded_at": pa.array([at] * n, pa.timestamp("us", tz="UTC")),
            "source": ["demo:checkout-form"] * n,
            "wording_version": ["survey-consent-v1"] * n,
        }
    )
    return database.append("consent_ledger", table)


def _experience(database: Database, files: DemoFiles) -> dict[str, dict[str, float]]:
    """Per profile: tickets, reopened, review mood, orders, churner (generator truth)."""
    facts: dict[str, dict[str, float]] = {}
    for pid, tickets, reopened, contacts in database.query(
        "SELECT profile_id, count(*), sum(CASE WHEN reopened THEN 1 ELSE 0 END), "
        "avg(contacts_count) FROM tickets WHERE profile_id IS NOT NULL GROUP BY profile_id"
    ):
        facts.setdefault(pid, {}).update(
            tickets=tickets, reopened=reopened or 0, contacts=contacts or 1
        )
    for pid, rating, n in database.query(
        "SELECT profile_id, avg(rating), count(*) FROM reviews WHERE profile_id IS NOT NULL "
        "AND rating IS NOT NULL GROUP BY profile_id"
    ):
        facts.setdefault(pid, {}).update(review=rating, reviews=n)
    for pid, orders in database.query(
        "SELECT profile_id, count(*) FROM orders WHERE profile_id IS NOT NULL GROUP BY profile_id"
    ):
        facts.setdefault(pid, {})["orders"] = orders
    truth = files.path("truth/persons.csv")
    if truth.exists():
        emails: dict[str, str] = dict(
            database.query("SELECT id_value, profile_id FROM identifiers WHERE id_type = 'email'")
        )
        with truth.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                pid = emails.get((row.get("email") or "").strip().lower())
                if pid and row.get("churner") == "true":
                    facts.setdefault(pid, {})["churner"] = 1
    return facts


def _languages(database: Database) -> dict[str, str]:
    """Each profile's language: their most frequent event locale (zh/de/en), else their
    customer record's country."""
    rows = database.query(
        "SELECT profile_id, substr(locale, 1, 2) AS lang, count(*) AS n FROM events "
        "WHERE profile_id IS NOT NULL AND locale IS NOT NULL GROUP BY profile_id, lang "
        "ORDER BY profile_id, lang"
    )
    best: dict[str, tuple[int, str]] = {}
    by_country = {"cn": "zh", "de": "de", "at": "de", "ch": "de"}
    for pid, country in database.query(
        "SELECT profile_id, lower(country) FROM customer_records "
        "WHERE profile_id IS NOT NULL AND country IS NOT NULL"
    ):
        best.setdefault(pid, (0, by_country.get(country, "en")))
    for pid, lang, n in rows:
        if lang in ("zh", "de", "en") and n > best.get(pid, (0, ""))[0]:
            best[pid] = (n, lang)
    return {pid: lang for pid, (_, lang) in best.items()}


def _clamp(value: float, low: int, high: int) -> int:
    return int(min(high, max(low, round(value))))


def _ticket_facts(database: Database) -> dict[str, dict[str, Any]]:
    rows = database.query(
        "SELECT CAST(event_key AS TEXT), CAST(properties AS TEXT) FROM events "
        "WHERE type = 'track' AND event = 'Ticket Resolved'"
    )
    return {key: orjson.loads(props) if props else {} for key, props in rows}


def _answers_for(
    survey_id: str,
    pid: str,
    event_key: str | None,
    rng: np.random.Generator,
    facts: dict[str, dict[str, float]],
    tickets: dict[str, dict[str, Any]],
    language: str,
) -> tuple[dict[str, Any], int]:
    """Answers and a 1–5 mood (to pick the tone of the open text)."""
    f = facts.get(pid, {})
    unhappy = 0.0
    unhappy += 1.2 * f.get("reopened", 0) + 0.5 * max(0.0, f.get("tickets", 0) - 1)
    if "review" in f:
        unhappy += (3.5 - f["review"]) * 0.6
    unhappy += 1.5 * f.get("churner", 0)
    if survey_id == "post-ticket-ces":
        t = tickets.get(event_key or "", {})
        effort = (
            6.2
            - 2.2 * bool(t.get("reopened"))
            - 0.8 * max(0, int(t.get("contacts_count") or 1) - 1)
        )
        effort -= 1.0 if float(t.get("resolution_seconds") or 0) > 2 * 86400 else 0.0
        score = _clamp(effort + rng.normal(0, 0.9), 1, 7)
        mood = _clamp(1 + (score - 1) * 4 / 6, 1, 5)
        return {"ces": score}, mood
    if survey_id == "post-purchase-csat":
        score = _clamp(4.4 - 0.7 * unhappy + rng.normal(0, 0.7), 1, 5)
        return {"csat": score}, score
    score = _clamp(
        8.3 - 1.6 * unhappy + 0.15 * min(f.get("orders", 0), 6) + rng.normal(0, 1.6), 0, 10
    )
    mood = 1 if score <= 4 else 2 if score <= 6 else 3 if score <= 7 else 4 if score <= 8 else 5
    kano: dict[str, dict[str, str]] = {}
    for feature, (_, category) in KANO_FEATURES.items():
        if rng.random() < 0.9:
            drawn = (
                category
                if rng.random() < 0.62
                else str(rng.choice(["A", "O", "M", "I", "I", "Q", "R"]))
            )
            functional, dysfunctional = KANO_PAIRS[drawn]
            kano[feature] = {"functional": functional, "dysfunctional": dysfunctional}
    return {"nps": score, "features": kano}, mood


def _simulate(
    database: Database,
    rng: np.random.Generator,
    facts: dict[str, dict[str, float]],
    languages: dict[str, str],
) -> dict[str, int]:
    from cxm.voc.answers import check_answers
    from cxm.voc.cases import new_case
    from cxm.voc.responses import case_reasons
    from cxm.voc.surveys import require_survey

    invited = database.query(
        "SELECT i.invitation_id, i.survey_id, i.profile_id, i.touchpoint, i.channel, "
        "i.event_key, i.send_at FROM survey_invitations i LEFT JOIN " + _STABLE_KEYS + " k "
        "ON k.profile_id = i.profile_id WHERE i.status = 'scheduled' "
        "ORDER BY i.send_at, i.survey_id, k.key, i.event_key"
    )
    tickets = _ticket_facts(database)
    product = {
        "en": ("jacket", "lamp", "scarf", "mug"),
        "de": ("Jacke", "Lampe", "Schal", "Tasse"),
        "zh": ("外套", "台灯", "围巾", "杯子"),
    }
    surveys = {sid: require_survey(database, sid) for sid in {r[1] for r in invited}}
    responses: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    cases = []
    texts: list[tuple[int, str]] = []
    for invitation_id, survey_id, pid, touchpoint, channel, event_key, send_at in invited:
        if rng.random() >= RESPONSE_RATE:
            continue
        language = languages.get(pid, "en")
        given, mood = _answers_for(survey_id, pid, event_key, rng, facts, tickets, language)
        if rng.random() < (0.75 if mood <= 2 else 0.35):
            noun = str(rng.choice(product[language]))
            text, _ = compose(rng, language, mood, noun)
            given["why"] = text
        survey = surveys[survey_id]
        definition = survey.definition
        if "why" in given and definition.question("why") is not None:
            condition = definition.question("why").show_if  # type: ignore[union-attr]
            if condition is not None and not condition.matches(given.get(condition.question)):
                given.pop("why")
        rows = [
            r for rs in check_answers(definition, given, {}, complete=True).values() for r in rs
        ]
        answered_at = send_at + timedelta(minutes=float(rng.uniform(5, 36 * 60)))
        response_id = f"r-{invitation_id}"
        responses.append(
            {
                "response_id": response_id,
                "survey_id": survey_id,
                "survey_version": survey.version,
                "profile_id": pid,
                "touchpoint": touchpoint,
                "channel": channel,
                "language": language,
                "status": "complete",
                "started_at": answered_at,
                "completed_at": answered_at,
                "invitation_id": invitation_id,
                "updated_at": answered_at,
            }
        )
        for row in rows:
            if row.text:
                texts.append((len(answers), row.text))
            answers.append(
                {
                    "response_id": response_id,
                    "survey_id": survey_id,
                    "question_id": row.question_id,
                    "question_type": row.question_type,
                    "item": row.item,
                    "score": row.score,
                    "choice": orjson.dumps(row.choice).decode() if row.choice is not None else None,
                    "text": row.text,
                    "kano_functional": row.kano_functional,
                    "kano_dysfunctional": row.kano_dysfunctional,
                    "profile_id": pid,
                    "touchpoint": touchpoint,
                    "channel": channel,
                    "language": language,
                    "answered_at": answered_at,
                    "sentiment_label": None,
                    "sentiment_score": None,
                    "topics": None,
                    "survey_version": survey.version,
                }
            )
        routing = definition.routing
        for reason in case_reasons(rows, routing.case_reasons):
            cases.append(
                new_case(
                    profile_id=pid,
                    reason=reason,
                    source=f"survey:{survey_id}",
                    response_id=response_id,
                    survey_id=survey_id,
                    owner=routing.owner,
                    touchpoint=touchpoint,
                    sla_hours=routing.sla_hours,
                    now=answered_at,
                )
            )
    _analyse_texts(answers, texts)
    _write(database, "survey_responses", responses)
    _write(database, "survey_answers", answers)
    _write(database, "cases", _worked_cases(cases, rng))
    database.execute(
        "UPDATE survey_invitations SET status = 'responded', used_at = r.completed_at "
        "FROM survey_responses r WHERE r.invitation_id = survey_invitations.invitation_id "
        "AND r.status = 'complete'"
    )
    return {"responses": len(responses), "answers": len(answers), "cases": len(cases)}


def _analyse_texts(answers: list[dict[str, Any]], texts: list[tuple[int, str]]) -> None:
    if not texts:
        return
    try:
        from cxm.voc.text import analyse
    except ImportError:
        return
    for (index, _), result in zip(texts, analyse([t for _, t in texts]), strict=True):
        answers[index]["sentiment_label"] = result.label
        answers[index]["sentiment_score"] = float(result.score)
        answers[index]["topics"] = orjson.dumps(list(result.topics)).decode()


def _worked_cases(cases: list[Any], rng: np.random.Generator) -> list[dict[str, Any]]:
    """Older cases were worked: most closed (mostly within SLA) with an outcome."""
    if not cases:
        return []
    latest = max(c.created_at for c in cases)
    outcomes = (
        "called back, apologised",
        "refund issued",
        "replacement sent",
        "voucher offered",
        "no reply from customer",
    )
    rows = []
    for c in cases:
        row = dict(c.__dict__)
        row["updated_at"] = c.created_at
        age = (latest - c.created_at).days
        if age > 7 and rng.random() < 0.92:
            sla = (c.due_at - c.created_at).total_seconds()
            took = sla * float(
                rng.uniform(0.1, 0.95) if rng.random() < 0.8 else rng.uniform(1.05, 3)
            )
            row["status"] = "closed"
            row["closed_at"] = c.created_at + timedelta(seconds=took)
            row["outcome"] = str(rng.choice(outcomes))
            row["updated_at"] = row["closed_at"]
        elif age > 2 and rng.random() < 0.5:
            row["status"] = "in_progress"
        rows.append(row)
    return rows


def _write(database: Database, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    columns: dict[str, list[Any]] = {name: [r[name] for r in rows] for name in rows[0]}
    arrays = {}
    for name, values in columns.items():
        if name.endswith("_at"):
            arrays[name] = pa.array(values, pa.timestamp("us", tz="UTC"))
        elif name in ("score", "sentiment_score"):
            arrays[name] = pa.array(values, pa.float64())
        elif name == "survey_version":
            arrays[name] = pa.array(values, pa.int32())
        else:
            arrays[name] = pa.array(values, pa.string())
    database.append(table, pa.table(arrays))


def run(database: Database, files: DemoFiles, say: Callable[[str], None]) -> str:
    """Set up this stage on the loaded demo data; return a one-line summary ('' if none)."""
    from cxm.voc.config import voc_settings
    from cxm.voc.surveys import create_survey, get_survey
    from cxm.voc.triggers import create_trigger, invite_wave, run_triggers

    if get_survey(database, "relationship-nps") is not None:
        return ""  # already set up (re-run on a loaded database)
    started = datetime.now(UTC)
    rng = np.random.default_rng(SEED)
    for definition in _surveys():
        create_survey(database, definition)
    for survey_id, trigger in _triggers():
        create_trigger(database, survey_id, trigger, trigger_id=f"trg-demo-{survey_id}")
    end = database.scalar("SELECT max(timestamp) FROM events") or started
    first = database.scalar("SELECT min(timestamp) FROM events") or started
    profiles = [
        r[0]
        for r in database.query(
            "SELECT p.profile_id FROM profiles p LEFT JOIN " + _STABLE_KEYS + " k "
            "ON k.profile_id = p.profile_id WHERE p.merged_into IS NULL "
            "ORDER BY k.key, p.profile_id"
        )
    ]
    say("voc: survey consent, triggers over the event history")
    _record_consent(database, rng, profiles, first)
    settings = voc_settings()
    triggered = run_triggers(database, settings=settings, from_start=True)
    customers = [
        r[0]
        for r in database.query(
            "SELECT o.profile_id FROM (SELECT DISTINCT profile_id FROM orders "
            "WHERE profile_id IS NOT NULL) o LEFT JOIN " + _STABLE_KEYS + " k "
            "ON k.profile_id = o.profile_id ORDER BY k.key, o.profile_id"
        )
    ]
    # Two relationship waves (250 and 45 days before the data ends), 30% of customers
    # each, so the NPS has a trend and a period comparison.
    scheduled = triggered.scheduled
    blocked = triggered.blocked
    for days in (250, 45):
        wave = [p for p in customers if rng.random() < 0.3]
        waved = invite_wave(
            database, "relationship-nps", wave, end - timedelta(days=days), settings=settings
        )
        scheduled += waved.scheduled
        blocked += waved.blocked
    say("voc: simulated answers in zh/de/en")
    counts = _simulate(database, rng, _experience(database, files), _languages(database))
    seconds = (datetime.now(UTC) - started).total_seconds()
    return (
        f"voc: 3 surveys, {scheduled:,} invitations "
        f"({blocked:,} blocked: consent/recontact), {counts['responses']:,} responses, "
        f"{counts['cases']:,} follow-up cases, {seconds:.1f} s"
    )
