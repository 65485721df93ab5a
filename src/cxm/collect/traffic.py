"""Traffic channel of a visit: the Google Analytics 4 default channel group.

Written from Google's public definition of the GA4 default channel group
("[GA4] Default channel group", Analytics Help 9756891): the rules below are
evaluated in the order GA4 evaluates them and the first that matches wins.
Matching is case-insensitive (GA4's own matching is too).

When a visit carries no ``utm_source``/``utm_medium``, we first derive the source
and medium GA4 itself would have recorded, then apply the same rules:

- an ad click id on the landing URL (``urls.CLICK_ID_KEYS``) names the network:
  ``gclid``/``wbraid``/``gbraid`` → google / cpc (Google Ads auto-tagging),
  ``dclid`` → dv360 / cpm (Display & Video 360, hence Display), ``msclkid`` →
  bing / cpc, ``ttclid`` → tiktok / cpc, ``bd_vid`` → baidu / cpc.
  ``fbclid`` → facebook / referral, i.e. Organic Social: Facebook appends it to
  *every* outbound link, organic posts included, so it proves the visit came from
  Facebook but not that it was paid (GA4 itself ignores it and uses the referrer,
  which gives the same answer). Manual UTM tags win over click ids here, which is
  GA4's behaviour only with "manual tagging override" on; without it GA4 lets a
  ``gclid`` win over UTMs.
- otherwise the referrer: a search engine → source = referrer host, medium =
  organic; any other external host → medium = referral (a social, video or
  shopping host then lands in Organic Social/Video/Shopping by the source lists,
  exactly as in GA4); the page's own site (internal navigation) or no referrer →
  (direct) / (none).
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache

from cxm.collect.source_categories import CATEGORY_PATTERNS, SourceCategory
from cxm.collect.urls import match_host, registrable_domain


class TrafficChannel(StrEnum):
    DIRECT = "Direct"
    CROSS_NETWORK = "Cross-network"
    PAID_SHOPPING = "Paid Shopping"
    PAID_SEARCH = "Paid Search"
    PAID_SOCIAL = "Paid Social"
    PAID_VIDEO = "Paid Video"
    DISPLAY = "Display"
    PAID_OTHER = "Paid Other"
    ORGANIC_SHOPPING = "Organic Shopping"
    ORGANIC_SOCIAL = "Organic Social"
    ORGANIC_VIDEO = "Organic Video"
    ORGANIC_SEARCH = "Organic Search"
    REFERRAL = "Referral"
    EMAIL = "Email"
    AFFILIATES = "Affiliates"
    AUDIO = "Audio"
    SMS = "SMS"
    MOBILE_PUSH_NOTIFICATIONS = "Mobile Push Notifications"
    UNASSIGNED = "Unassigned"


TRAFFIC_CHANNELS: tuple[str, ...] = tuple(c.value for c in TrafficChannel)

_PAID_MEDIUM = re.compile(r"^(.*cp.*|ppc|retargeting|paid.*)$")
_SHOP_CAMPAIGN = re.compile(r"^(.*(([^a-df-z]|^)shop|shopping).*)$")
_DISPLAY_MEDIA = frozenset({"display", "banner", "expandable", "interstitial", "cpm"})
_SOCIAL_MEDIA = frozenset(
    {"social", "social-network", "social-media", "sm", "social network", "social media"}
)
_REFERRAL_MEDIA = frozenset({"referral", "app", "link"})
_EMAIL_VALUES = frozenset({"email", "e-mail", "e_mail", "e mail"})
_DIRECT_MEDIA = frozenset({"(none)", "(not set)", ""})

# Source / medium GA4 records for an auto-tagged ad click (see module docstring).
CLICK_ID_SOURCES: dict[str, tuple[str, str]] = {
    "gclid": ("google", "cpc"),
    "wbraid": ("google", "cpc"),
    "gbraid": ("google", "cpc"),
    "dclid": ("dv360", "cpm"),
    "msclkid": ("bing", "cpc"),
    "ttclid": ("tiktok", "cpc"),
    "bd_vid": ("baidu", "cpc"),
    "fbclid": ("facebook", "referral"),
}


def _index() -> tuple[dict[str, set[SourceCategory]], ...]:
    names: dict[str, set[SourceCategory]] = {}
    domains: dict[str, set[SourceCategory]] = {}
    brands: dict[str, set[SourceCategory]] = {}
    for category, patterns in CATEGORY_PATTERNS.items():
        for pattern in patterns:
            key = pattern.lower()
            if key.endswith(".*"):
                brands.setdefault(key.removesuffix(".*"), set()).add(category)
            elif "." in key:
                domains.setdefault(key, set()).add(category)
            else:
                names.setdefault(key, set()).add(category)
    return names, domains, brands


_NAMES, _DOMAINS, _BRANDS = _index()
# A "brand.*" pattern covers the brand's front doors only: www.google.de is search,
# mail.google.com and docs.google.com are not.
_BRAND_PREFIXES = frozenset({"", "www", "m", "mobile", "search"})


@lru_cache(maxsize=16384)
def source_categories(source: str | None) -> frozenset[SourceCategory]:
    """Every category (search, social, video, shopping) a source name or host belongs to."""
    value = match_host(source)
    if not value:
        return frozenset()
    found = set(_NAMES.get(value, ()))
    if "." in value and " " not in value:
        labels = value.split(".")
        for start in range(len(labels) - 1):
            found.update(_DOMAINS.get(".".join(labels[start:]), ()))
        domain = registrable_domain(value)
        prefix = value.removesuffix(domain).rstrip(".")
        if prefix in _BRAND_PREFIXES:
            found.update(_BRANDS.get(domain.split(".")[0], ()))
    return frozenset(found)


def _clean(value: str | None) -> str:
    return value.strip().lower() if isinstance(value, str) else ""


def _is_internal(referrer: str, page_host: str | None) -> bool:
    page = match_host(page_host)
    if not page:
        return False
    return referrer == page or registrable_domain(referrer) == registrable_domain(page)


def implied_source(
    referrer_host: str | None, page_host: str | None, click_id: str | None
) -> tuple[str, str]:
    """The (source, medium) GA4 records for a visit without UTM tags."""
    known = CLICK_ID_SOURCES.get(_clean(click_id))
    if known:
        return known
    referrer = match_host(referrer_host)
    if not referrer or _is_internal(referrer, page_host):
        return "(direct)", "(none)"
    if SourceCategory.SEARCH in source_categories(referrer):
        return referrer, "organic"
    return referrer, "referral"


def classify_traffic(
    *,
    source: str | None,
    medium: str | None,
    campaign: str | None,
    referrer_host: str | None,
    page_host: str | None = None,
    click_id: str | None = None,
) -> TrafficChannel:
    """The GA4 default channel group of one visit.

    ``source``/``medium``/``campaign`` are the visit's UTM values (or Segment's
    ``context.campaign``), ``referrer_host``/``page_host`` hosts as returned by
    ``urls.host_of``, and ``click_id`` the *name* of the click-id parameter on
    the landing URL (``"gclid"``; see ``urls.click_id_of``), not its value.
    """
    src, med, camp = _clean(source), _clean(medium), _clean(campaign)
    if not src and not med:
        src, med = implied_source(referrer_host, page_host, click_id)
    return channel_for(src, med, camp)


@lru_cache(maxsize=16384)
def channel_for(source: str, medium: str, campaign: str) -> TrafficChannel:
    """GA4's rules over lower-case, stripped source / medium / campaign ('' when absent)."""
    if source == "(direct)" and medium in _DIRECT_MEDIA:
        return TrafficChannel.DIRECT
    if "cross-network" in campaign:
        return TrafficChannel.CROSS_NETWORK
    categories = source_categories(source)
    shopping = SourceCategory.SHOPPING in categories or bool(_SHOP_CAMPAIGN.match(campaign))
    if _PAID_MEDIUM.match(medium):
        if shopping:
            return TrafficChannel.PAID_SHOPPING
        if SourceCategory.SEARCH in categories:
            return TrafficChannel.PAID_SEARCH
        if SourceCategory.SOCIAL in categories:
            return TrafficChannel.PAID_SOCIAL
        if SourceCategory.VIDEO in categories:
            return TrafficChannel.PAID_VIDEO
    if medium in _DISPLAY_MEDIA:
        return TrafficChannel.DISPLAY
    if _PAID_MEDIUM.match(medium):
        return TrafficChannel.PAID_OTHER
    return _unpaid_channel(source, medium, categories, shopping)


def _unpaid_channel(
    source: str, medium: str, categories: frozenset[SourceCategory], shopping: bool
) -> TrafficChannel:
    if shopping:
        return TrafficChannel.ORGANIC_SHOPPING
    if SourceCategory.SOCIAL in categories or medium in _SOCIAL_MEDIA:
        return TrafficChannel.ORGANIC_SOCIAL
    if SourceCategory.VIDEO in categories or "video" in medium:
        return TrafficChannel.ORGANIC_VIDEO
    if SourceCategory.SEARCH in categories or medium == "organic":
        return TrafficChannel.ORGANIC_SEARCH
    if medium in _REFERRAL_MEDIA:
        return TrafficChannel.REFERRAL
    if source in _EMAIL_VALUES or medium in _EMAIL_VALUES:
        return TrafficChannel.EMAIL
    if medium == "affiliate":
        return TrafficChannel.AFFILIATES
    if medium == "audio":
        return TrafficChannel.AUDIO
    if source == "sms" or medium == "sms":
        return TrafficChannel.SMS
    if medium.endswith("push") or "mobile" in medium or "notification" in medium:
        return TrafficChannel.MOBILE_PUSH_NOTIFICATIONS
    if source == "firebase":
        return TrafficChannel.MOBILE_PUSH_NOTIFICATIONS
    return TrafficChannel.UNASSIGNED
