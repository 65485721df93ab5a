"""URL helpers: hosts, UTM tags and click ids from whatever browsers and exports send."""

from __future__ import annotations

from typing import Any

import pytest

from cxm.collect.urls import (
    click_id_of,
    host_of,
    match_host,
    registrable_domain,
    utm_from_url,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.Google.de:443/search?q=cxm", "www.google.de"),
        ("http://M.BAIDU.COM/s?wd=x", "m.baidu.com"),
        ("https://l.facebook.com/l.php?u=https%3A%2F%2Fshop.example", "l.facebook.com"),
        ("https://weixin.qq.com./", "weixin.qq.com"),
        (
            "android-app://com.google.android.googlequicksearchbox/",
            "com.google.android.googlequicksearchbox",
        ),
        ("//cdn.example.com/a.js", "cdn.example.com"),
        ("shop.example/path?x=1", "shop.example"),
        ("https://user:secret@shop.example:8443/", "shop.example"),
        ("http://localhost:8000/", "localhost"),
        ("http://192.168.0.10/", "192.168.0.10"),
    ],
)
def test_host_of_lowercases_and_drops_port(url: str, expected: str) -> None:
    assert host_of(url) == expected


@pytest.mark.parametrize(
    "junk",
    [
        None,
        "",
        "   ",
        "not a url",
        "justaword",
        "http://",
        "http://[broken/",
        "http://a b.com/",
        "https://",
        42,
        {"url": "x"},
        ["https://x.com"],
        b"https://x.com",
    ],
)
def test_host_of_junk_is_none(junk: Any) -> None:
    assert host_of(junk) is None


def test_match_host_ignores_www_and_case() -> None:
    assert match_host("WWW.Shop.Example.") == "shop.example"
    assert match_host("  ") is None
    assert match_host(None) is None


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("news.bbc.co.uk", "bbc.co.uk"),
        ("www.google.com.cn", "google.com.cn"),
        ("m.baidu.com", "baidu.com"),
        ("weixin.qq.com", "qq.com"),
        ("t.co", "t.co"),
        ("localhost", "localhost"),
    ],
)
def test_registrable_domain_keeps_two_label_suffixes(host: str, expected: str) -> None:
    assert registrable_domain(host) == expected


def test_utm_from_url_reads_tags_and_click_ids() -> None:
    url = (
        "https://shop.example/p?utm_source=Baidu&utm_medium=cpc&utm_campaign=%E5%8F%8C11"
        "&utm_term=running+shoes&utm_content=ad-2&gclid=Cj0abc&color=red"
    )
    assert utm_from_url(url) == {
        "utm_source": "Baidu",
        "utm_medium": "cpc",
        "utm_campaign": "双11",
        "utm_term": "running shoes",
        "utm_content": "ad-2",
        "gclid": "Cj0abc",
    }


def test_utm_from_url_keys_case_insensitive_first_value_wins() -> None:
    url = "https://x.example/?UTM_Source=weibo&utm_source=other&Utm_Medium=%20social%20"
    assert utm_from_url(url) == {"utm_source": "weibo", "utm_medium": "social"}


def test_utm_from_url_skips_empty_values() -> None:
    assert utm_from_url("https://x.example/?utm_source=&utm_medium=%20&fbclid=") == {}


@pytest.mark.parametrize(
    "junk",
    [
        None,
        "",
        "https://x.example/",
        "?",
        "https://x.example/?%%%=&&==",
        "http://[x/?utm_source=a",
        7,
    ],
)
def test_utm_from_url_junk_is_empty(junk: Any) -> None:
    assert utm_from_url(junk) == {}


def test_utm_from_url_caps_value_length() -> None:
    found = utm_from_url("https://x.example/?utm_campaign=" + "a" * 5000)
    assert len(found["utm_campaign"]) == 500


def test_click_id_of_prefers_ad_network_ids_over_fbclid() -> None:
    params = utm_from_url("https://x.example/?fbclid=IwAR&gclid=Cj0")
    assert click_id_of(params) == "gclid"
    assert click_id_of(utm_from_url("https://x.example/?fbclid=IwAR")) == "fbclid"
    assert click_id_of({}) is None
