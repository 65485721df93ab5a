"""The fact rows behind the KPIs: survey answers, orders, tickets, help-centre sessions.

Each function returns SQL (both dialects) with columns ``ts``, ``profile_id``, the
native dimensions and the inputs of the KPI's measures. See ``catalogue.py`` for
which KPI uses which fact and ``docs/metrics.md`` for the definitions.
"""

from __future__ import annotations

from cxm.metrics.engine import FactContext

# Orders come in several currencies; KPIs in money are reported in one currency at
# fixed rates (units of currency per 1 EUR). Approximate on purpose: a KPI trend
# should not move with exchange rates. Unknown currencies count at 1:1.
REPORTING_CURRENCY = "EUR"
RATES_PER_EUR = {"EUR": 1.0, "CNY": 7.8, "GBP": 0.86, "USD": 1.08, "CHF": 0.95, "JPY": 160.0}

# Survey items of the personalisation-perception gap (rating questions, 1–5).
PERSONALISATION_IMPORTANCE = "personalisation_importance"
PERSONALISATION_EXPERIENCE = "personalisation_experience"

# A help-centre visit ends after 30 minutes without a help-centre view (the usual
# web-analytics session rule); it counts as self-served when the person opens no
# ticket within 24 hours of its last view.
HELP_EVENT = "Help Center Viewed"
HELP_SESSION_GAP_SECONDS = 1800
SELF_SERVICE_TICKET_WINDOW_SECONDS = 86400


def to_reporting(amount: str, currency: str) -> str:
    cases = " ".join(f"WHEN '{code}' THEN {rate}" for code, rate in RATES_PER_EUR.items())
    return f"({amount} / CASE {currency} {cases} ELSE 1.0 END)"


def survey_answers(question_type: str) -> str:
    return (
        "SELECT answered_at AS ts, profile_id, channel, touchpoint, language, score "
        "FROM survey_answers "
        f"WHERE question_type = '{question_type}' AND score IS NOT NULL"
    )


def personalisation_answers(_: FactContext) -> str:
    return (
        "SELECT answered_at AS ts, profile_id, channel, touchpoint, language, item, score "
        "FROM survey_answers WHERE score IS NOT NULL AND item IN "
        f"('{PERSONALISATION_IMPORTANCE}', '{PERSONALISATION_EXPERIENCE}')"
    )


def ticket_csat(_: FactContext) -> str:
    return (
        "SELECT created_at AS ts, profile_id, channel, CAST(csat AS DOUBLE PRECISION) AS score "
        "FROM tickets WHERE csat IS NOT NULL AND csat BETWEEN 1 AND 5"
    )


def orders(context: FactContext) -> str:
    amount = to_reporting("amount", "currency")
    return (
        f"SELECT timestamp AS ts, profile_id, channel, {amount} AS amount "
        f"FROM orders WHERE timestamp >= {context.since_sql} AND timestamp < {context.until_sql}"
    )


def tickets(context: FactContext) -> str:
    return (
        "SELECT created_at AS ts, profile_id, channel, "
        "(EXTRACT(EPOCH FROM first_response_at) - EXTRACT(EPOCH FROM created_at)) / 3600.0 "
        "AS response_hours, "
        "(EXTRACT(EPOCH FROM resolved_at) - EXTRACT(EPOCH FROM created_at)) / 3600.0 "
        "AS resolution_hours, "
        "CASE WHEN resolved_at IS NOT NULL THEN 1 ELSE 0 END AS resolved, "
        "CASE WHEN reopened THEN 1 ELSE 0 END AS reopened, "
        "CASE WHEN resolved_at IS NOT NULL AND coalesce(contacts_count, 1) <= 1 "
        "AND NOT coalesce(reopened, FALSE) THEN 1 ELSE 0 END AS first_contact "
        f"FROM tickets WHERE created_at >= {context.since_sql} "
        f"AND created_at < {context.until_sql}"
    )


def contacts_and_orders(context: FactContext) -> str:
    since, until = context.since_sql, context.until_sql
    return (
        "SELECT created_at AS ts, profile_id, coalesce(contacts_count, 1) AS contacts, "
        f"0 AS orders FROM tickets WHERE created_at >= {since} AND created_at < {until} "
        "UNION ALL SELECT timestamp AS ts, profile_id, 0 AS contacts, 1 AS orders "
        f"FROM orders WHERE timestamp >= {since} AND timestamp < {until}"
    )


def help_sessions(context: FactContext) -> str:
    """Help-centre visits (30-minute rule) and whether a ticket followed within 24 h."""
    since, until = context.since_sql, context.until_sql
    gap, window = HELP_SESSION_GAP_SECONDS, SELF_SERVICE_TICKET_WINDOW_SECONDS
    return f"""
        WITH views AS (
            SELECT profile_id, timestamp AS ts, channel,
                   EXTRACT(EPOCH FROM timestamp) AS epoch,
                   lag(EXTRACT(EPOCH FROM timestamp)) OVER (
                       PARTITION BY profile_id ORDER BY timestamp) AS prev_epoch
            FROM events
            WHERE event = '{HELP_EVENT}' AND profile_id IS NOT NULL
              AND timestamp >= {since} AND timestamp < {until}
        ), numbered AS (
            SELECT *, sum(CASE WHEN prev_epoch IS NULL OR epoch - prev_epoch > {gap}
                               THEN 1 ELSE 0 END)
                      OVER (PARTITION BY profile_id ORDER BY ts ROWS UNBOUNDED PRECEDING) AS n
            FROM views
        ), visits AS (
            SELECT profile_id, n, min(ts) AS ts, max(epoch) AS last_epoch, min(channel) AS channel
            FROM numbered GROUP BY profile_id, n
        ), tickets_opened AS (
            SELECT profile_id, EXTRACT(EPOCH FROM created_at) AS epoch FROM tickets
            WHERE profile_id IS NOT NULL AND created_at >= {since}
        ), followed AS (
            SELECT v.profile_id, v.n FROM visits v JOIN tickets_opened t
              ON t.profile_id = v.profile_id
             AND t.epoch >= EXTRACT(EPOCH FROM v.ts) AND t.epoch <= v.last_epoch + {window}
            GROUP BY v.profile_id, v.n
        )
        SELECT v.ts, v.profile_id, v.channel,
               CASE WHEN f.profile_id IS NULL THEN 1 ELSE 0 END AS self_served
        FROM visits v LEFT JOIN followed f ON f.profile_id = v.profile_id AND f.n = v.n"""


def _items(context: FactContext) -> str:
    """One row per order item of the ``buyers`` CTE's customers: category (item.category,
    else the product id without its last ``-part``, e.g. LUM-BED-012 → LUM-BED) and unit
    price in the reporting currency."""
    until = context.until_sql
    where = f"profile_id IN (SELECT profile_id FROM buyers) AND timestamp < {until}"
    if context.dialect == "postgresql":
        rows = (
            "SELECT o.profile_id, o.source, o.order_id, o.timestamp, o.currency, "
            "it.item->>'product_id' AS product, it.item->>'category' AS category, "
            "CAST(it.item->>'price' AS DOUBLE PRECISION) AS price "
            "FROM orders o, jsonb_array_elements(o.items) AS it(item) "
            f"WHERE o.profile_id IN (SELECT profile_id FROM buyers) AND o.timestamp < {until} "
            "AND jsonb_typeof(o.items) = 'array'"
        )
    else:
        # from_json into typed structs is ~3x faster than casting to JSON[] and
        # extracting each field (measured at 300k orders).
        shape = '[{"product_id":"VARCHAR","category":"VARCHAR","price":"DOUBLE"}]'
        rows = (
            "SELECT profile_id, source, order_id, timestamp, currency, "
            "it.item.product_id AS product, it.item.category AS category, "
            "it.item.price AS price FROM (SELECT profile_id, source, order_id, timestamp, "
            f"currency, unnest(from_json(items, '{shape}')) AS item FROM orders "
            f"WHERE {where} AND json_type(items) = 'ARRAY') it"
        )
    unit = to_reporting("price", "currency")
    return (
        "SELECT profile_id, source, order_id, timestamp AS ts, "
        "coalesce(category, regexp_replace(product, '-[^-]*$', '')) AS category, "
        f"{unit} AS price FROM ({rows}) x"
    )


def repeat_orders(context: FactContext) -> str:
    """Orders by customers who had ordered before, with cross-sell and upsell flags.

    cross_sold: the order has a category the customer never bought before.
    upsold: the order has, in a category the customer bought before, an item dearer
    than anything they paid in that category before (a step up the range).
    """
    since, until = context.since_sql, context.until_sql
    # Only customers who ordered in the range read can have a repeat order in it.
    return f"""
        WITH buyers AS (
            SELECT DISTINCT profile_id FROM orders
            WHERE profile_id IS NOT NULL AND timestamp >= {since} AND timestamp < {until}
        ), ranked AS (
            SELECT profile_id, source, order_id, timestamp AS ts, channel,
                   row_number() OVER (PARTITION BY profile_id ORDER BY timestamp, order_id) AS k
            FROM orders WHERE profile_id IN (SELECT profile_id FROM buyers) AND timestamp < {until}
        ), items AS ({_items(context)}
        ), per_category AS (
            SELECT profile_id, source, order_id, ts, category, max(price) AS top_price
            FROM items GROUP BY profile_id, source, order_id, ts, category
        ), history AS (
            SELECT *,
                   row_number() OVER (PARTITION BY profile_id, category
                                      ORDER BY ts, order_id) AS category_k,
                   max(top_price) OVER (PARTITION BY profile_id, category ORDER BY ts, order_id
                                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                       AS before_price
            FROM per_category
        ), flags AS (
            SELECT source, order_id,
                   max(CASE WHEN category_k = 1 THEN 1 ELSE 0 END) AS new_category,
                   max(CASE WHEN before_price IS NOT NULL AND top_price > before_price
                            THEN 1 ELSE 0 END) AS stepped_up
            FROM history GROUP BY source, order_id
        )
        SELECT r.ts, r.profile_id, r.channel,
               coalesce(fl.new_category, 0) AS cross_sold,
               coalesce(fl.stepped_up, 0) AS upsold
        FROM ranked r LEFT JOIN flags fl ON fl.source = r.source AND fl.order_id = r.order_id
        WHERE r.k > 1 AND r.ts >= {since}"""
