"""The SQL that normalises many Segment messages at once (see ``bulk.py``).

It runs on a private in-memory DuckDB connection over an Arrow table
``cxm_input(i, j)``: ``i`` the row's index, ``j`` the message as compact JSON
text (orjson's output or the flat importer's: no duplicate keys, no whitespace).

Every column follows ``messages.normalise_message`` line by line, and
``fast_ok`` is TRUE only when the row is certainly valid and certainly
normalised the same way; anything unusual (a number where a string belongs, an
epoch timestamp, a long id, a time with an unusual shape, ...)
is left to Python. Expressions are kept few and flat on purpose: DuckDB's binder
and optimiser cost grows with expression trees, and that fixed cost is paid on
every batch.
"""

from __future__ import annotations

from cxm.collect.messages import MESSAGE_TYPES

ID_MAX_BYTES = 512

# Extracted paths, numbered from 1 in this order.
FIELDS: tuple[tuple[str, str], ...] = (
    ("type", "$.type"),
    ("event", "$.event"),
    ("name", "$.name"),
    ("user", "$.userId"),
    ("anon", "$.anonymousId"),
    ("group", "$.groupId"),
    ("prev", "$.previousId"),
    ("mid", "$.messageId"),
    ("ts", "$.timestamp"),
    ("sent", "$.sentAt"),
    ("recv", "$.receivedAt"),
    ("props", "$.properties"),
    ("traits", "$.traits"),
    ("ctx", "$.context"),
    ("integ", "$.integrations"),
    ("chan", "$.context.channel"),
    ("purl", "$.context.page.url"),
    ("pref", "$.context.page.referrer"),
    ("prurl", "$.properties.url"),
    ("prref", "$.properties.referrer"),
    ("camp", "$.context.campaign"),
    ("csrc", "$.context.campaign.source"),
    ("cmed", "$.context.campaign.medium"),
    ("cname", "$.context.campaign.name"),
    ("ccamp", "$.context.campaign.campaign"),
    ("ip", "$.context.ip"),
    ("ua", "$.context.userAgent"),
    ("loc", "$.context.locale"),
    ("ctraits", "$.context.traits"),
)

# ISO 8601 shapes on which Python's ``datetime.fromisoformat`` and DuckDB's
# TIMESTAMPTZ cast agree: a date, or date and time to the minute, second or
# microsecond, optionally with seconds and Z or +HH:MM. Years 1000-2999 keep the
# clock-skew arithmetic far from datetime's limits. Anything else goes to Python.
TS_PATTERN = (
    r"[12]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
    r"(T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)?)?)?"
)
# Every character Python's str.strip() removes: an event name is non-empty after
# trimming these exactly when ``event.strip()`` is.
WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
_TYPES = ", ".join(f"'{t}'" for t in sorted(MESSAGE_TYPES))
_INT = "'-?[0-9]+'"


def _is_string(name: str) -> str:
    return f"""left(x_{name}, 1) = '"'"""


def _is_object(name: str) -> str:
    return f"left(x_{name}, 1) = '{{'"


def _missing(name: str) -> str:
    return f"coalesce(x_{name} = 'null', TRUE)"


def _text(name: str) -> str:
    """``messages._text``: a non-empty string, else NULL."""
    return f"CASE WHEN {_is_string(name)} THEN nullif(s_{name}, '') END"


def _object(name: str) -> str:
    return f"CASE WHEN {_is_object(name)} THEN x_{name} END"


def _object_ok(name: str) -> str:
    return f"({_missing(name)} OR {_is_object(name)})"


def _identifier(name: str) -> str:
    return (
        f"CASE WHEN {_is_string(name)} THEN nullif(s_{name}, '') "
        f"WHEN regexp_full_match(x_{name}, {_INT}) THEN x_{name} END"
    )


def _identifier_ok(name: str) -> str:
    return (
        f"({_missing(name)} OR ({_is_string(name)} AND strlen(s_{name}) <= {ID_MAX_BYTES}) "
        f"OR regexp_full_match(x_{name}, {_INT}))"
    )


def _time(name: str) -> str:
    return (
        f"CASE WHEN {_is_string(name)} AND regexp_full_match(s_{name}, '{TS_PATTERN}') "
        f"THEN epoch_us(try_cast(s_{name} AS TIMESTAMPTZ)) END"
    )


def _time_ok(name: str) -> str:
    parsed = f"(s_{name} = '' OR us_{name} IS NOT NULL)"
    return f"({_missing(name)} OR ({_is_string(name)} AND {parsed}))"


def _given(name: str) -> str:
    """The importer's "value is not None and value != ''"."""
    return f"(NOT {_missing(name)} AND s_{name} IS DISTINCT FROM '')"


def normalise_sql(import_mode: bool) -> str:
    """The query; parameters: source id, received_at in epoch microseconds, WHITESPACE."""
    paths = ", ".join(f"'{path}'" for _, path in FIELDS)
    split = ",\n    ".join(
        f"CAST(x[{n}] AS VARCHAR) AS x_{name}, s[{n}] AS s_{name}"
        for n, (name, _) in enumerate(FIELDS, start=1)
    )
    if import_mode:
        # An import's received_at is the message's receivedAt, else its sentAt.
        received = (
            f"CASE WHEN {_given('recv')} THEN us_recv WHEN {_given('sent')} THEN us_sent "
            "ELSE $2 END"
        )
        received_ok = _time_ok("recv")
        typ = (
            f"CASE WHEN {_is_string('type')} THEN s_type "
            f"WHEN x_type IS NULL AND {_is_string('event')} AND s_event <> '' THEN 'track' END"
        )
    else:
        received, received_ok = "$2", "TRUE"
        typ = f"CASE WHEN {_is_string('type')} THEN s_type END"
    ids = ("user", "anon", "group", "prev", "mid")
    objects = ("props", "traits", "ctx", "integ")
    return f"""
WITH e AS (
  SELECT i, starts_with(j, '{{') AS is_object,
         json_extract(j, [{paths}]) AS x, json_extract_string(j, [{paths}]) AS s
  FROM cxm_input),
d AS (SELECT i, is_object,
    {split}
  FROM e),
f AS (SELECT *,
    {typ} AS typ,
    {_identifier("user")} AS user_id,
    {_identifier("anon")} AS anonymous_id,
    {_identifier("group")} AS group_id,
    {_identifier("prev")} AS previous_id,
    {_identifier("mid")} AS given_id,
    {_object("traits")} AS own_traits,
    {_object("ctx")} AS context,
    {_time("ts")} AS us_ts,
    {_time("sent")} AS us_sent,
    {_time("recv")} AS us_recv
  FROM d),
g AS (SELECT *,
    {received} AS us_received,
    typ = 'identify' AND own_traits IS NULL AND context IS NOT NULL AND context <> '{{}}'
        AS traits_from_context,
    coalesce(
        is_object AND typ IN ({_TYPES})
        AND {" AND ".join(_identifier_ok(n) for n in ids)}
        AND coalesce(user_id, anonymous_id) IS NOT NULL
        AND {" AND ".join(_object_ok(n) for n in objects)}
        AND CASE typ
            WHEN 'track' THEN {_is_string("event")} AND trim(s_event, $3) <> ''
            WHEN 'page' THEN {_missing("name")} OR {_is_string("name")}
            WHEN 'screen' THEN {_missing("name")} OR {_is_string("name")}
            WHEN 'group' THEN group_id IS NOT NULL
            WHEN 'alias' THEN previous_id IS NOT NULL AND user_id IS NOT NULL
            ELSE TRUE END
        AND {_time_ok("ts")} AND {_time_ok("sent")} AND {received_ok},
        FALSE) AS ok
  FROM f),
h AS (SELECT *,
    coalesce(given_id, 'cxm-' || CAST(uuid() AS VARCHAR)) AS message_id
  FROM g)
SELECT
    i,
    coalesce(ok AND (NOT traits_from_context OR {_object_ok("ctraits")}), FALSE) AS fast_ok,
    md5(CAST($1 AS VARCHAR) || chr(31) || message_id) AS event_key,
    CAST($1 AS VARCHAR) AS source_id,
    message_id,
    typ AS type,
    CASE typ WHEN 'track' THEN s_event
             WHEN 'page' THEN nullif(s_name, '')
             WHEN 'screen' THEN nullif(s_name, '') END AS event,
    anonymous_id,
    user_id,
    group_id,
    previous_id,
    make_timestamp(CASE WHEN us_ts IS NULL THEN us_received
                        WHEN us_sent IS NULL THEN us_ts
                        ELSE us_received - (us_sent - us_ts) END)::TIMESTAMPTZ AS timestamp,
    make_timestamp(us_ts)::TIMESTAMPTZ AS original_timestamp,
    make_timestamp(us_sent)::TIMESTAMPTZ AS sent_at,
    make_timestamp(us_received)::TIMESTAMPTZ AS received_at,
    {_text("chan")} AS channel_text,
    to_json([
        CASE WHEN typ IN ('page', 'screen') THEN '1' ELSE '0' END,
        coalesce({_text("purl")}, {_text("prurl")}),
        coalesce({_text("pref")}, {_text("prref")}),
        CASE WHEN {_is_object("camp")} AND x_camp <> '{{}}' THEN '1' ELSE '0' END,
        {_text("csrc")},
        {_text("cmed")},
        coalesce({_text("cname")}, {_text("ccamp")})
    ]) AS visit,
    {_text("ip")} AS ip,
    {_text("ua")} AS user_agent,
    {_text("loc")} AS locale,
    {_object("props")} AS properties,
    CASE WHEN traits_from_context THEN {_object("ctraits")} ELSE own_traits END AS traits,
    context
FROM h
"""
