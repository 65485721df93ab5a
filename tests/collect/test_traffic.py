"""GA4 default channel grouping: one table row per realistic visit."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from cxm.collect.source_categories import SourceCategory
from cxm.collect.traffic import (
    TRAFFIC_CHANNELS,
    TrafficChannel,
    classify_traffic,
    source_categories,
)


class Visit(NamedTuple):
    expected: str
    source: str | None = None
    medium: str | None = None
    campaign: str | None = None
    referrer: str | None = None
    page: str | None = "www.shop.example"
    click_id: str | None = None


TAGGED = [
    Visit("Direct", "(direct)", "(none)"),
    Visit("Direct", "(direct)", "(not set)"),
    Visit("Direct", "(Direct)", None),
    Visit("Cross-network", "google", "cpc", "pmax_cross-network_spring"),
    Visit("Cross-network", None, None, "Cross-Network Q3", click_id="gclid"),
    Visit("Paid Shopping", "google shopping", "cpc", "feed"),
    Visit("Paid Shopping", "taobao", "cpc", "618"),
    Visit("Paid Shopping", "jd", "paid", "双十一"),
    Visit("Paid Shopping", "amazon.de", "ppc", "prime-day"),
    Visit("Paid Shopping", "criteo", "retargeting", "shop_summer_sale"),
    Visit("Paid Shopping", "newsletter-partner", "cpc", "holiday shopping"),
    Visit("Paid Search", "google", "cpc", "brand"),
    Visit("Paid Search", "baidu", "cpc", "品牌词"),
    Visit("Paid Search", "bing", "paidsearch", "generic"),
    Visit("Paid Search", "sogou", "CPC", None),
    Visit("Paid Search", "m.baidu.com", "cpc", None),
    Visit("Paid Search", "google", "cpm", "yt-masthead"),
    Visit("Paid Social", "facebook", "paid_social", "retarget"),
    Visit("Paid Social", "douyin", "cpc", "达人带货"),
    Visit("Paid Social", "weibo", "paid", "fensitong"),
    Visit("Paid Social", "xiaohongshu", "cpc", "聚光"),
    Visit("Paid Social", "WeChat", "cpm", "moments-ad"),
    Visit("Paid Social", "linkedin", "paid", "b2b"),
    Visit("Paid Video", "youtube", "cpv", "preroll"),
    Visit("Paid Video", "bilibili", "cpc", "up-collab"),
    Visit("Display", "dv360", "display", "awareness"),
    Visit("Display", "adnetwork", "banner", None),
    Visit("Display", "outbrain", "interstitial", None),
    Visit("Display", "adnetwork", "Expandable", None),
    Visit("Display", "adnetwork", "cpm", None),
    Visit("Paid Other", "partner-network", "cpa", None),
    Visit("Paid Other", "adroll", "paid", None),
    Visit("Paid Other", "tv-voucher", "ppc", None),
    Visit("Organic Shopping", "amazon", "referral", None),
    Visit("Organic Shopping", "tmall", None, None),
    Visit("Organic Shopping", "instagram", "social", "shop-the-look"),
    Visit("Organic Social", "facebook", "social", None),
    Visit("Organic Social", "wechat", "share", "spring"),
    Visit("Organic Social", "weixin", "referral", None),
    Visit("Organic Social", "xhs", "post", None),
    Visit("Organic Social", "forum", "social-network", None),
    Visit("Organic Social", "community", "Social Media", None),
    Visit("Organic Social", "zhihu", "answer", None),
    Visit("Organic Social", "kakaotalk", "message", None),
    Visit("Organic Video", "youtube", "referral", None),
    Visit("Organic Video", "partner", "video", None),
    Visit("Organic Video", "podcast-site", "video-embed", None),
    Visit("Organic Search", "google", "organic", None),
    Visit("Organic Search", "baidu", None, None),
    Visit("Organic Search", "duckduckgo", "referral", None),
    Visit("Organic Search", "partner", "organic", None),
    Visit("Referral", "blog.partner.example", "referral", None),
    Visit("Referral", "partner-app", "app", None),
    Visit("Referral", "press", "link", None),
    Visit("Email", "newsletter", "email", "may"),
    Visit("Email", "e-mail", "crm", None),
    Visit("Email", "mailchimp", "E_Mail", None),
    Visit("Email", "e mail", None, None),
    Visit("Affiliates", "awin", "affiliate", None),
    Visit("Audio", "spotify", "audio", None),
    Visit("SMS", "sms", "text", None),
    Visit("SMS", "twilio", "SMS", None),
    Visit("Mobile Push Notifications", "braze", "web-push", None),
    Visit("Mobile Push Notifications", "jpush", "Mobile", None),
    Visit("Mobile Push Notifications", "app", "in-app-notification", None),
    Visit("Mobile Push Notifications", "firebase", "fcm", None),
    Visit("Unassigned", "newsletter", None, None),
    Visit("Unassigned", None, "qr-code", None),
    Visit("Unassigned", "billboard", "offline", "spring"),
]

UNTAGGED = [
    Visit("Direct"),
    Visit("Direct", referrer="www.shop.example"),
    Visit("Direct", referrer="checkout.shop.example"),
    Visit("Direct", referrer="shop.example", page="www.shop.example"),
    Visit("Direct", source="  ", medium="", referrer=None),
    Visit("Organic Search", referrer="www.google.de"),
    Visit("Organic Search", referrer="www.google.co.uk"),
    Visit("Organic Search", referrer="m.baidu.com"),
    Visit("Organic Search", referrer="cn.bing.com"),
    Visit("Organic Search", referrer="www.sogou.com"),
    Visit("Organic Search", referrer="www.so.com"),
    Visit("Organic Search", referrer="m.sm.cn"),
    Visit("Organic Search", referrer="yandex.ru"),
    Visit("Organic Search", referrer="search.naver.com"),
    Visit("Organic Search", referrer="search.seznam.cz"),
    Visit("Organic Search", referrer="www.ecosia.org"),
    Visit("Organic Search", referrer="duckduckgo.com"),
    Visit("Organic Search", referrer="search.yahoo.co.jp"),
    Visit("Organic Search", referrer="com.google.android.googlequicksearchbox"),
    Visit("Organic Social", referrer="l.facebook.com"),
    Visit("Organic Social", referrer="lm.facebook.com"),
    Visit("Organic Social", referrer="t.co"),
    Visit("Organic Social", referrer="weixin.qq.com"),
    Visit("Organic Social", referrer="xhslink.com"),
    Visit("Organic Social", referrer="www.xiaohongshu.com"),
    Visit("Organic Social", referrer="www.douyin.com"),
    Visit("Organic Social", referrer="weibo.cn"),
    Visit("Organic Social", referrer="www.zhihu.com"),
    Visit("Organic Social", referrer="www.linkedin.com"),
    Visit("Organic Social", referrer="out.reddit.com"),
    Visit("Organic Social", referrer="www.pinterest.de"),
    Visit("Organic Video", referrer="m.youtube.com"),
    Visit("Organic Video", referrer="www.bilibili.com"),
    Visit("Organic Video", referrer="v.qq.com"),
    Visit("Organic Video", referrer="www.twitch.tv"),
    Visit("Organic Shopping", referrer="www.amazon.co.uk"),
    Visit("Organic Shopping", referrer="item.taobao.com"),
    Visit("Organic Shopping", referrer="item.jd.com"),
    Visit("Organic Shopping", referrer="mobile.yangkeduo.com"),
    Visit("Organic Shopping", referrer="shopping.google.com"),
    Visit("Referral", referrer="news.ycombinator.com"),
    Visit("Referral", referrer="www.qq.com"),
    Visit("Referral", referrer="mail.google.com"),
    Visit("Referral", referrer="docs.google.com"),
    Visit("Referral", referrer="partner.example", page=None),
]

CLICK_IDS = [
    Visit("Paid Search", click_id="gclid"),
    Visit("Paid Search", click_id="GBRAID", referrer="www.google.com"),
    Visit("Paid Search", click_id="wbraid"),
    Visit("Paid Search", click_id="msclkid", referrer="www.bing.com"),
    Visit("Paid Search", click_id="bd_vid", referrer="m.baidu.com"),
    Visit("Paid Social", click_id="ttclid"),
    Visit("Display", click_id="dclid"),
    Visit("Organic Social", click_id="fbclid"),
    Visit("Organic Social", click_id="fbclid", referrer="l.instagram.com"),
    Visit("Direct", click_id="unknown_clid"),
    # Manual tags win over an auto-tagging click id.
    Visit("Email", source="newsletter", medium="email", click_id="gclid"),
]


def _ids(cases: list[Visit]) -> list[str]:
    return [
        f"{v.expected}:{v.source}/{v.medium}/{v.campaign}/{v.referrer}/{v.click_id}" for v in cases
    ]


@pytest.mark.parametrize(
    "visit", TAGGED + UNTAGGED + CLICK_IDS, ids=_ids(TAGGED + UNTAGGED + CLICK_IDS)
)
def test_classify_traffic_matches_ga4_rules(visit: Visit) -> None:
    channel = classify_traffic(
        source=visit.source,
        medium=visit.medium,
        campaign=visit.campaign,
        referrer_host=visit.referrer,
        page_host=visit.page,
        click_id=visit.click_id,
    )
    assert channel == visit.expected
    assert isinstance(channel, str)


def test_classify_traffic_table_covers_every_channel() -> None:
    covered = {v.expected for v in TAGGED + UNTAGGED + CLICK_IDS}
    assert covered == set(TRAFFIC_CHANNELS)
    assert len(TRAFFIC_CHANNELS) == 19


@pytest.mark.parametrize(
    ("source", "medium"),
    [("GOOGLE", "CPC"), ("Google", "Cpc"), (" google ", " cpc "), ("google", "CPC")],
)
def test_classify_traffic_case_and_space_insensitive(source: str, medium: str) -> None:
    channel = classify_traffic(source=source, medium=medium, campaign=None, referrer_host=None)
    assert channel is TrafficChannel.PAID_SEARCH


def test_classify_traffic_rule_order_paid_shopping_before_search() -> None:
    # google is a search site, but the shopping campaign rule is evaluated first.
    channel = classify_traffic(
        source="google", medium="cpc", campaign="shopping-feed", referrer_host=None
    )
    assert channel is TrafficChannel.PAID_SHOPPING


def test_classify_traffic_shop_campaign_needs_word_start() -> None:
    # "workshop" does not mean a shop: the regex wants shop after a non-letter (or e).
    workshop = classify_traffic(
        source="partner", medium="cpc", campaign="workshop", referrer_host=None
    )
    eshop = classify_traffic(source="partner", medium="cpc", campaign="eshop", referrer_host=None)
    assert workshop is TrafficChannel.PAID_OTHER
    assert eshop is TrafficChannel.PAID_SHOPPING


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("www.google.de", {SourceCategory.SEARCH}),
        ("shopping.google.com", {SourceCategory.SHOPPING}),
        ("search.yahoo.co.jp", {SourceCategory.SEARCH}),
        ("news.yahoo.co.jp", set()),
        ("mail.google.com", set()),
        ("aws.amazon.com", set()),
        ("WeChat", {SourceCategory.SOCIAL}),
        ("mp.weixin.qq.com", {SourceCategory.SOCIAL}),
        ("v.qq.com", {SourceCategory.VIDEO}),
        ("qq.com", set()),
        ("googleusercontent.com", set()),
        ("notgoogle.com", set()),
        ("", set()),
        (None, set()),
    ],
)
def test_source_categories_match_registrable_part(
    value: str | None, expected: set[SourceCategory]
) -> None:
    assert source_categories(value) == expected
