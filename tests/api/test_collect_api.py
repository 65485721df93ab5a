from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import httpx
import orjson

from tests.api.conftest import Api


def _track(message_id: str = "m-1", **extra: object) -> dict[str, object]:
    return {
        "messageId": message_id,
        "userId": "u-1",
        "event": "Product Viewed",
        "properties": {"product_id": "p-9"},
        "timestamp": "2026-03-01T10:00:00Z",
        **extra,
    }


def test_track_is_stored_with_context_and_channel(api: Api) -> None:
    context = {"locale": "de-DE", "userAgent": "UA/1", "ip": "203.0.113.9", "channel": "app"}
    response = api.post("/v1/track", _track(context=context))
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True}
    row = api.database.query_dicts(
        "SELECT type, event, user_id, channel, locale, ip, CAST(properties AS TEXT) AS props "
        "FROM events"
    )[0]
    assert row["type"] == "track" and row["event"] == "Product Viewed"
    assert (row["user_id"], row["channel"], row["locale"], row["ip"]) == (
        "u-1",
        "app",
        "de-DE",
        "203.0.113.9",
    )
    assert json.loads(row["props"]) == {"product_id": "p-9"}


def test_retried_message_id_is_stored_once(api: Api) -> None:
    for _ in range(3):
        assert api.post("/v1/track", _track("same-id")).status_code == 200
    batch = {
        "batch": [{**_track("same-id"), "type": "track"}, {**_track("other"), "type": "track"}]
    }
    assert api.post("/v1/batch", batch).status_code == 200
    assert api.database.scalar("SELECT count(*) FROM events") == 2


def test_clock_skew_is_corrected_from_sent_at(api: Api) -> None:
    # The device clock runs one hour fast: it says it sent at 11:00 what happened 5 s earlier.
    message = _track(timestamp="2026-03-01T10:59:55Z", sentAt="2026-03-01T11:00:00Z")
    before = datetime.now(UTC)
    assert api.post("/v1/track", message).status_code == 200
    stored = api.database.scalar("SELECT timestamp FROM events")
    received = api.database.scalar("SELECT received_at FROM events")
    assert abs((received - stored).total_seconds() - 5) < 1e-3
    assert received >= before.replace(microsecond=0)


def test_invalid_track_is_400_naming_the_field(api: Api) -> None:
    response = api.post("/v1/track", {"userId": "u", "event": ""})
    assert response.status_code == 400
    assert response.json()["field"] == "event"
    response = api.post("/v1/track", {"event": "X"})
    assert response.status_code == 400 and response.json()["field"] == "userId"
    response = api.post("/v1/track", _track(timestamp="yesterday"))
    assert response.status_code == 400 and response.json()["field"] == "timestamp"
    response = api.post("/v1/identify", {"userId": "u", "traits": ["not", "an", "object"]})
    assert response.status_code == 400 and response.json()["field"] == "traits"
    assert api.database.scalar("SELECT count(*) FROM events") == 0


def test_malformed_json_is_400(api: Api) -> None:
    response = api.client.post(f"{api.url}/v1/track", content=b"{nope")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"


def test_missing_or_unknown_write_key_is_401(api: Api) -> None:
    anonymous = httpx.post(f"{api.url}/v1/track", json=_track())
    assert anonymous.status_code == 401 and anonymous.json()["field"] == "Authorization"
    wrong = httpx.post(f"{api.url}/v1/track", json=_track(), auth=("nope", ""))
    assert wrong.status_code == 401 and wrong.json()["reason"] == "unknown write key"


def test_oversized_event_and_batch_are_413(api: Api) -> None:
    big = _track(properties={"blob": "x" * 40_000})
    assert api.post("/v1/track", big).status_code == 413
    batch = {
        "batch": [
            {**_track(f"m{i}"), "type": "track", "properties": {"b": "y" * 20_000}}
            for i in range(30)
        ]
    }
    response = api.post("/v1/batch", batch)
    assert response.status_code == 413 and response.json()["error"] == "payload_too_large"
    assert api.database.scalar("SELECT count(*) FROM events") == 0


def test_batch_quarantines_bad_messages_and_keeps_the_rest(api: Api) -> None:
    batch = {
        "batch": [
            {**_track("ok-1"), "type": "track"},
            {"type": "track", "userId": "u"},
            {"type": "teleport", "userId": "u"},
            {**_track("big"), "type": "track", "properties": {"b": "z" * 33_000}},
            {"type": "page", "anonymousId": "a-1", "name": "Home", "messageId": "ok-2"},
        ]
    }
    response = api.post("/v1/batch", batch)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["accepted"] == 2
    assert [(q["index"], q["field"]) for q in body["quarantined"]] == [
        (1, "batch[1].event"),
        (2, "batch[2].type"),
        (3, "batch[3].(message)"),
    ]
    rows = api.database.query(
        "SELECT line_number, field, reason, payload FROM quarantine ORDER BY line_number"
    )
    assert [r[0] for r in rows] == [1, 2, 3]
    assert orjson.loads(rows[0][3]) == {"type": "track", "userId": "u"}
    assert api.database.scalar("SELECT count(*) FROM events") == 2


def test_batch_quarantine_keeps_the_envelope_so_a_replay_matches_the_batch(api: Api) -> None:
    batch = {
        "batch": [{"type": "track", "userId": "u", "context": {"locale": "de-DE"}}],
        "context": {"locale": "en-GB", "app": {"name": "shop"}},
        "sentAt": "2026-01-02T03:04:05Z",
    }
    assert api.post("/v1/batch", batch).status_code == 200
    payload = orjson.loads(api.database.scalar("SELECT payload FROM quarantine"))
    assert payload == {
        "type": "track",
        "userId": "u",
        "context": {"locale": "de-DE", "app": {"name": "shop"}},
        "sentAt": "2026-01-02T03:04:05Z",
    }


def test_batch_envelope_errors_are_400(api: Api) -> None:
    assert api.post("/v1/batch", {"batch": []}).json()["field"] == "batch"
    assert api.post("/v1/batch", {"batch": "x"}).status_code == 400
    assert api.post("/v1/batch", [1, 2]).status_code == 400


def test_write_key_in_body_with_text_plain_works_for_beacons(api: Api) -> None:
    body = {"writeKey": api.source.write_key, "batch": [{**_track("beacon"), "type": "track"}]}
    response = httpx.post(
        f"{api.url}/v1/batch", content=orjson.dumps(body), headers={"content-type": "text/plain"}
    )
    assert response.status_code == 200, response.text
    assert api.database.scalar("SELECT count(*) FROM events") == 1


def test_gzip_body_is_accepted(api: Api) -> None:
    body = gzip.compress(orjson.dumps({"batch": [{**_track("gz"), "type": "track"}]}))
    response = api.client.post(
        f"{api.url}/v1/batch", content=body, headers={"content-encoding": "gzip"}
    )
    assert response.status_code == 200, response.text


def test_page_with_utm_gets_traffic_channel(api: Api) -> None:
    page = {
        "anonymousId": "a-7",
        "name": "Landing",
        "messageId": "p-1",
        "context": {
            "page": {
                "url": "https://shop.example/?utm_source=newsletter&utm_medium=email",
                "referrer": "https://mail.example.com/",
            }
        },
    }
    assert api.post("/v1/page", page).status_code == 200
    row = api.database.query_dicts(
        "SELECT channel, traffic_channel, utm_source, utm_medium, referrer_host FROM events"
    )[0]
    assert row == {
        "channel": "web",
        "traffic_channel": "Email",
        "utm_source": "newsletter",
        "utm_medium": "email",
        "referrer_host": "mail.example.com",
    }


def test_every_segment_call_type_is_accepted(api: Api) -> None:
    calls = {
        "identify": {"userId": "u", "traits": {"email": "a@b.c"}},
        "page": {"anonymousId": "a", "name": "Home"},
        "screen": {"userId": "u", "name": "Cart"},
        "group": {"userId": "u", "groupId": "g-1"},
        "alias": {"userId": "u", "previousId": "a"},
    }
    for call, body in calls.items():
        assert api.post(f"/v1/{call}", body).status_code == 200, call
    stored = {r[0] for r in api.database.query("SELECT type FROM events")}
    assert stored == set(calls)
    assert api.post("/v1/group", {"userId": "u"}).json()["field"] == "groupId"
    assert api.post("/v1/alias", {"userId": "u"}).json()["field"] == "previousId"


def test_openapi_documents_collection_endpoints(api: Api) -> None:
    spec = httpx.get(f"{api.url}/openapi.json").json()
    for path in (
        "/v1/track",
        "/v1/identify",
        "/v1/page",
        "/v1/screen",
        "/v1/group",
        "/v1/alias",
        "/v1/batch",
    ):
        assert path in spec["paths"]
    assert httpx.get(f"{api.url}/docs").status_code == 200


def test_event_size_limit_counts_bytes_not_characters(api: Api) -> None:
    # 12,000 Chinese characters are 36,000 bytes in UTF-8: over the 32 KB limit.
    batch = {"batch": [{**_track("zh"), "type": "track", "properties": {"t": "好" * 12_000}}]}
    body = api.post("/v1/batch", batch).json()
    assert body["accepted"] == 0
    assert body["quarantined"][0]["field"] == "batch[0].(message)"


def test_missing_context_ip_is_taken_from_the_request(api: Api) -> None:
    assert api.post("/v1/track", _track("no-ip")).status_code == 200
    assert (
        api.post("/v1/track", _track("own-ip", context={"ip": "198.51.100.7"})).status_code == 200
    )
    stored = dict(api.database.query("SELECT message_id, ip FROM events"))
    assert stored == {"no-ip": "127.0.0.1", "own-ip": "198.51.100.7"}
