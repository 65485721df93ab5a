"""normalise_many gives exactly normalise_message's rows and errors, row by row."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxm.collect.bulk import normalise_many
from cxm.collect.importers.events import _received_at
from cxm.collect.messages import InvalidMessage, normalise_message
from cxm.collect.sources import Source
from cxm.collect.touchpoints import Touchpoint

SOURCE = Source("src-1", "web", "key", "http", Touchpoint.OTHER)
RECEIVED = datetime(2025, 6, 1, 12, 0, 0, 250_000, tzinfo=UTC)
_JSON_COLUMNS = ("properties", "traits", "context", "raw")

_texts = st.sampled_from(["", " ", "a", "ü", "购买", "Order Completed", "\u3000", " x ", "x" * 600])
_good_ids = st.sampled_from(["u-1", "anon-7", "é" * 256, "x" * 512, 'ü/\\"q'])
_bad_ids = st.one_of(
    st.sampled_from(["", "x" * 513, "é" * 257, {"id": 1}]),
    st.integers(-(2**63), 2**64 - 1),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
)
_ids = st.one_of(st.none(), _good_ids, _good_ids, _bad_ids)
_times = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "",
            "2025-04-01T10:00:00Z",
            "2025-04-01T10:00:00.123Z",
            "2025-04-01T10:00:00.1234567Z",
            "2025-04-01T10:00:00+02:00",
            "2025-04-01T10:00:00-05:30",
            "2025-04-01T10:00:00+0200",
            "2025-04-01T10:00Z",
            "2025-04-01T10:00",
            "2025-04-01T10",
            "2025-04-01 10:00:00",
            "2025-04-01",
            "2025-02-29T00:00:00Z",
            "2024-02-29T23:59:59.999999Z",
            "2025-13-01T00:00:00Z",
            "2025-04-01T24:00:00Z",
            " 2025-04-01T10:00:00Z ",
            "0999-01-01T00:00:00Z",
            "yesterday",
        ]
    ),
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.datetimes(timezones=st.sampled_from([UTC, None])).map(lambda d: d.isoformat()),
)
_urls = st.sampled_from(
    [
        None,
        "",
        "https://shop.example/",
        "https://shop.example/p?utm_source=google&utm_medium=cpc&utm_campaign=x",
        "https://shop.example/c?gclid=abc",
        "https://shop.example/?fbclid=1",
        "not a url",
        42,
    ]
)
_referrers = st.sampled_from(
    [None, "", "https://www.google.com/", "https://www.facebook.com/x", "https://shop.example/a"]
)


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


_campaigns: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.just({}),
    st.just("spring"),
    st.fixed_dictionaries(
        {},
        optional={
            "source": st.sampled_from(["newsletter", "", 3]),
            "medium": st.sampled_from(["email", "cpc"]),
            "name": st.sampled_from(["spring", ""]),
            "campaign": st.just("autumn"),
        },
    ),
)
_pages = st.one_of(
    st.none(),
    st.just("https://x.example/"),
    st.builds(lambda u, r: _drop_none({"url": u, "referrer": r}), _urls, _referrers),
)
_contexts = st.one_of(
    st.none(),
    st.just({}),
    st.just([1]),
    st.builds(
        lambda page, campaign, channel, agent, traits, ip: _drop_none(
            {
                "page": page,
                "campaign": campaign,
                "channel": channel,
                "userAgent": agent,
                "traits": traits,
                "ip": ip,
                "locale": "de-DE",
            }
        ),
        _pages,
        _campaigns,
        st.sampled_from([None, "", "web", "Store", "call-center", "other", "nowhere", 7, "İ"]),
        st.sampled_from([None, "", "Mozilla/5.0", 5]),
        st.sampled_from([None, {"email": "a@b.example"}, "x", {}]),
        st.sampled_from([None, "203.0.113.9"]),
    ),
)
_objects: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.just({}),
    st.just([]),
    st.just("text"),
    st.dictionaries(
        st.sampled_from(["sku", "price", "url", "referrer", "ü", "nested"]),
        st.one_of(
            st.text(max_size=5),
            st.integers(-(2**63), 2**64 - 1),
            st.floats(allow_nan=False, allow_infinity=False),
            st.none(),
            st.just({"a": [1, "b"]}),
        ),
        max_size=4,
    ),
)
_good_times = st.sampled_from(
    [
        "2025-04-01T10:00:00Z",
        "2025-04-01T10:00:00.123Z",
        "2025-04-01T10:00:00+02:00",
        "2025-04-01T23:30:00.5-05:30",
        "2025-04-01",
        "2025-04-01T10:00",
    ]
)
_good_objects: st.SearchStrategy[Any] = st.one_of(
    st.none(), st.just({}), _objects.filter(lambda o: isinstance(o, dict))
)
_good_contexts = _contexts.filter(lambda c: c is None or isinstance(c, dict))


@st.composite
def _valid_messages(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["track", "track", "page", "screen", "identify", "group", "alias"]))
    message: dict[str, Any] = {"type": kind, "messageId": draw(st.none() | _good_ids)}
    message[draw(st.sampled_from(["userId", "anonymousId"]))] = draw(_good_ids)
    if kind == "track":
        message["event"] = draw(st.sampled_from(["Product Viewed", "购买", " x ", "ü"]))
    if kind in ("page", "screen"):
        message["name"] = draw(st.none() | st.sampled_from(["Home", ""]))
    if kind == "group":
        message["groupId"] = draw(_good_ids)
    if kind == "alias":
        message.update(userId=draw(_good_ids), previousId=draw(_good_ids))
    message["timestamp"] = draw(st.none() | _good_times)
    message["sentAt"] = draw(st.none() | _good_times)
    message["receivedAt"] = draw(st.none() | _good_times)
    message["properties"] = draw(_good_objects)
    message["traits"] = draw(_good_objects)
    message["context"] = draw(_good_contexts)
    return _drop_none(message)


# One field replaced by an unusual or bad value (or by a good value of another shape).
_UNUSUAL: dict[str, st.SearchStrategy[Any]] = {
    "type": st.sampled_from(["teleport", None, 1, "", "TRACK"]),
    "event": st.one_of(_texts, st.none(), st.integers(-(2**63), 2**64 - 1)),
    "name": st.one_of(_texts, st.integers(0, 9)),
    "userId": _bad_ids,
    "anonymousId": _bad_ids,
    "groupId": _ids,
    "previousId": _ids,
    "messageId": _ids,
    "timestamp": _times,
    "sentAt": _times,
    "receivedAt": _times,
    "properties": _objects,
    "traits": _objects,
    "context": _contexts,
    "integrations": _objects,
}
_mutations = st.one_of(
    st.just({}),
    st.sampled_from(sorted(_UNUSUAL)).flatmap(lambda k: _UNUSUAL[k].map(lambda v: {k: v})),
)
_messages = st.builds(lambda m, change: {**m, **change}, _valid_messages(), _mutations)


def _comparable(row: dict[str, Any], random_id: bool) -> dict[str, Any]:
    row = dict(row)
    for key in _JSON_COLUMNS:
        if row[key] is not None:
            row[key] = orjson.loads(row[key])
    if random_id:  # no messageId: both invent a random one
        assert row.pop("message_id").startswith("cxm-")
        assert len(row.pop("event_key")) == 32
    return row


def _expected(message: Any, import_mode: bool) -> dict[str, Any] | InvalidMessage | Exception:
    try:
        if import_mode:
            received = _received_at(message, RECEIVED)
            default = "track" if message.get("event") else None
            return normalise_message(
                message, source=SOURCE, received_at=received, default_type=default
            )
        return normalise_message(message, source=SOURCE, received_at=RECEIVED)
    except (InvalidMessage, ValueError) as error:
        return error


def _check(messages: list[Any], import_mode: bool = False) -> tuple[int, int]:
    texts = [orjson.dumps(m) for m in messages]
    result = normalise_many(texts, source=SOURCE, received_at=RECEIVED, import_mode=import_mode)
    fast = dict(zip(result.fast_rows.to_pylist(), result.events.to_pylist(), strict=True))
    assert sorted([*fast, *result.slow_rows]) == list(range(len(messages)))
    for index, message in enumerate(messages):
        expected = _expected(message, import_mode)
        if index not in fast:
            continue
        assert isinstance(expected, dict), (message, expected)
        random_id = not (isinstance(message, dict) and message.get("messageId") not in (None, ""))
        assert _comparable(fast[index], random_id) == _comparable(expected, random_id), message
    return len(fast), len(result.slow_rows)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_messages, st.just([1]), st.just("x")), min_size=1, max_size=40))
def test_normalise_many_equals_normalise_message_for_any_messages(messages: list[Any]) -> None:
    _check(messages)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_messages, min_size=1, max_size=40))
def test_normalise_many_import_mode_equals_importer_rules(messages: list[Any]) -> None:
    _check(messages, import_mode=True)


COMMON = [
    {
        "type": "page", "messageId": "m1", "anonymousId": "a1", "name": "Home",
        "timestamp": "2025-04-01T10:00:00.123Z", "sentAt": "2025-04-01T10:00:01.000Z",
        "context": {"page": {"url": "https://shop.example/?utm_source=google&utm_medium=cpc",
                             "referrer": "https://www.google.com/"},
                    "userAgent": "Mozilla/5.0", "ip": "203.0.113.9", "locale": "de-DE"},
    },
    {"type": "track", "messageId": "m2", "userId": "u1", "event": "Product Viewed",
     "timestamp": "2025-04-01T10:01:00+02:00", "properties": {"sku": "X1", "price": 12.5}},
    {"type": "identify", "messageId": "m3", "userId": "u1",
     "context": {"traits": {"email": "u@x.example"}, "channel": "store"}},
    {"type": "screen", "messageId": "m4", "userId": 42, "name": "Cart",
     "timestamp": "2025-04-01"},
    {"type": "group", "messageId": "m5", "userId": "u1", "groupId": "g1"},
    {"type": "alias", "messageId": "m6", "userId": "u1", "previousId": "a1"},
    {"type": "track", "userId": "u9", "event": "购买",
     "context": {"campaign": {"source": "newsletter", "medium": "email"}}},
]  # fmt: skip


def test_normalise_many_handles_common_messages_on_the_fast_path() -> None:
    assert _check(COMMON) == (len(COMMON), 0)


def test_normalise_many_leaves_invalid_messages_to_python() -> None:
    invalid = [
        {"type": "track", "userId": "u1"},
        {"type": "track", "event": "A"},
        {"type": "track", "event": "A", "userId": True},
        {"type": "track", "event": "A", "userId": "u", "timestamp": "yesterday"},
        {"type": "page", "userId": "u", "properties": [1]},
        {"type": "group", "userId": "u"},
        "not an object",
    ]
    assert _check(invalid) == (0, len(invalid))


def test_normalise_many_import_mode_defaults_to_track_and_uses_received_at() -> None:
    message = {
        "event": "Signed Up", "userId": "u2", "messageId": "m7",
        "timestamp": "2025-04-01T10:03:00Z", "receivedAt": "2025-04-01T10:05:00Z",
    }  # fmt: skip
    result = normalise_many([orjson.dumps(message)], source=SOURCE, received_at=RECEIVED,
                            import_mode=True)  # fmt: skip
    row = result.events.to_pylist()[0]
    assert (row["type"], row["received_at"]) == ("track", datetime(2025, 4, 1, 10, 5, tzinfo=UTC))


def test_normalise_many_keeps_input_order_when_merging_python_rows() -> None:
    messages = [COMMON[1], {"type": "track", "event": "A", "userId": "u", "timestamp": 1e12}]
    result = normalise_many([orjson.dumps(m) for m in messages], source=SOURCE,
                            received_at=RECEIVED)  # fmt: skip
    assert result.slow_rows == [1]
    slow = normalise_message(messages[1], source=SOURCE, received_at=RECEIVED)
    merged = result.merged([(1, slow)])
    assert merged["message_id"].to_pylist() == ["m2", slow["message_id"]]
