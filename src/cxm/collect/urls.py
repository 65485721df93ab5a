"""URL helpers for traffic attribution: the host of a referrer, UTM tags and click ids.

These run on the ingest hot path for every page and screen view and see whatever
browsers, SDKs and CSV exports send, so none of them raises: junk in, ``None`` or
an empty result out.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import parse_qsl, urlsplit

from cxm.collect.source_categories import MULTI_LABEL_SUFFIXES

UTM_KEYS: tuple[str, ...] = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "utm_id",
)

# Ad-click identifiers that networks append to landing URLs, in the order we trust
# them when several are present (an auto-tagged Google click beats a Facebook shim).
CLICK_ID_KEYS: tuple[str, ...] = (
    "gclid",  # Google Ads auto-tagging
    "wbraid",  # Google Ads, iOS web-to-app
    "gbraid",  # Google Ads, iOS app-to-web
    "dclid",  # Google Display & Video 360 / Campaign Manager
    "msclkid",  # Microsoft Advertising auto-tagging
    "ttclid",  # TikTok Ads
    "bd_vid",  # Baidu search ads (oCPC)
    "fbclid",  # Facebook/Instagram: every outbound link, paid or not
)

_URL_KEYS = frozenset(UTM_KEYS) | frozenset(CLICK_ID_KEYS)
_MAX_URL_LENGTH = 8192
_MAX_VALUE_LENGTH = 500


def host_of(url: str | None) -> str | None:
    """The lower-case host of ``url`` without port or trailing dot; ``None`` if it has none.

    ``www.`` is kept (it is what a user would recognise in a report); use
    :func:`match_host` before comparing hosts. A scheme-less ``example.com/path``
    is read as a host, as referrers from some apps arrive that way.
    """
    if not isinstance(url, str):
        return None
    return _host_of(url)


@lru_cache(maxsize=8192)
def _host_of(url: str) -> str | None:
    # Cached: referrers repeat heavily (a handful of search engines and shims).
    text = url.strip()[:_MAX_URL_LENGTH]
    if not text:
        return None
    if "://" not in text and not text.startswith("//"):
        text = "//" + text
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".")
    if not host or any(c.isspace() for c in host) or ("." not in host and host != "localhost"):
        # A single label such as "foo" is more likely a typo or a tag than a host,
        # except Android app referrers (android-app://com.google...) which have dots.
        return None
    return host


def match_host(host: str | None) -> str | None:
    """``host`` normalised for comparison: lower case, no trailing dot, no leading ``www.``."""
    if not host:
        return None
    value = host.strip().lower().rstrip(".")
    return value.removeprefix("www.") or None


def registrable_domain(host: str) -> str:
    """The part of ``host`` an organisation registers (``news.bbc.co.uk`` → ``bbc.co.uk``).

    A heuristic over a short list of two-label suffixes, not the full Public Suffix
    List: good enough to tell internal navigation and known brands apart.
    """
    labels = host.lower().rstrip(".").split(".")
    if len(labels) <= 2:
        return ".".join(labels)
    keep = 3 if ".".join(labels[-2:]) in MULTI_LABEL_SUFFIXES else 2
    return ".".join(labels[-keep:])


def utm_from_url(url: str | None) -> dict[str, str]:
    """UTM tags and click ids found in ``url``'s query string.

    Keys are among :data:`UTM_KEYS` and :data:`CLICK_ID_KEYS`, lower-cased
    (``UTM_Source`` counts); values are stripped and non-empty. Only the first
    occurrence of a repeated key counts, as in GA4.
    """
    if not isinstance(url, str) or "?" not in url:
        return {}
    try:
        query = urlsplit(url.strip()[:_MAX_URL_LENGTH]).query
        pairs = parse_qsl(query, keep_blank_values=False)
    except ValueError:
        return {}
    found: dict[str, str] = {}
    for raw_key, raw_value in pairs:
        key = raw_key.strip().lower()
        value = raw_value.strip()[:_MAX_VALUE_LENGTH]
        if key in _URL_KEYS and value and key not in found:
            found[key] = value
    return found


def click_id_of(params: dict[str, str]) -> str | None:
    """The name of the most trusted click id present in ``params`` (from ``utm_from_url``)."""
    return next((key for key in CLICK_ID_KEYS if params.get(key)), None)
