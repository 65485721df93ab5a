"""Topics (themes) of a text by multilingual keyword rules, configurable.

Each topic has keywords per language. English keywords match at the start of a word
(``deliver`` matches "delivery", "delivered"); German keywords match anywhere in a
word, because German glues nouns together ("Paketbote", "Kundenservice",
"Rücksendung"); Chinese keywords match as substrings (no spaces to split on).
Keywords for other languages, if configured, match like English.

``CXM_TEXT_TOPICS`` may name a JSON file ``{"topic": {"en": [...], "de": [...],
"zh": [...]}}``: its topics replace the built-in ones of the same name and add new
ones (an empty object for a topic removes it).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

DEFAULT_TOPICS: dict[str, dict[str, tuple[str, ...]]] = {
    "delivery": {
        "en": (
            "deliver",
            "courier",
            "parcel",
            "package",
            "shipping",
            "shipped",
            "dispatch",
            "arrived",
            "arrive",
            "postman",
            "tracking",
            "dhl",
            "ups ",
            "fedex",
        ),
        "de": (
            "liefer",
            "paket",
            "versand",
            "versendet",
            "zustell",
            "kurier",
            "geliefert",
            "angekommen",
            "verpackt",
            "dhl",
            "hermes",
        ),
        "zh": ("物流", "快递", "送达", "发货", "配送", "包装", "送货", "到货", "快递员", "运输"),
    },
    "price": {
        "en": (
            "price",
            "pricing",
            "expensive",
            "cheap",
            "value",
            "overpriced",
            "cost",
            "sale",
            "discount",
            "afford",
        ),
        "de": (
            "preis",
            "teuer",
            "günstig",
            "billig",
            "kosten",
            "rabatt",
            "sale",
            "angebot",
            "geld wert",
            "überteuert",
        ),
        "zh": ("价格", "性价比", "贵", "便宜", "降价", "优惠", "活动力度", "划算", "实惠", "价钱"),
    },
    "staff": {
        "en": (
            "staff",
            "employee",
            "customer service",
            "support team",
            "agent",
            "cashier",
            "assistant",
            "salesperson",
            "rude",
            "friendly",
            "helpful",
            "hotline",
            "called customer",
            "service desk",
        ),
        "de": (
            "mitarbeiter",
            "personal",
            "kundenservice",
            "kundendienst",
            "verkäufer",
            "hotline",
            "beratung",
            "freundlich",
            "service-team",
            "angerufen",
        ),
        "zh": ("店员", "客服", "服务员", "导购", "态度", "服务", "售后", "工作人员"),
    },
    "product_quality": {
        "en": (
            "quality",
            "solid",
            "sturdy",
            "flimsy",
            "fell apart",
            "broke",
            "broken",
            "defect",
            "faulty",
            "seam",
            "stitch",
            "material",
            "fabric",
            "well made",
            "beautifully made",
            "durable",
            "photos",
            "looks cheap",
        ),
        "de": (
            "qualität",
            "verarbeit",
            "kaputt",
            "defekt",
            "naht",
            "nähte",
            "material",
            "stoff",
            "hochwertig",
            "billig",
            "fotos",
            "robust",
        ),
        "zh": (
            "质量",
            "做工",
            "坏了",
            "材质",
            "面料",
            "精致",
            "线头",
            "开线",
            "耐用",
            "图片",
            "瑕疵",
            "廉价",
            "品质",
            "用了",
        ),
    },
    "returns": {
        "en": ("return", "refund", "exchange", "money back", "send back", "sent back", "label"),
        "de": (
            "rücksend",
            "retoure",
            "rückgabe",
            "erstatt",
            "umtausch",
            "zurückgeschickt",
            "geld zurück",
            "etikett",
        ),
        "zh": ("退货", "退款", "退换", "换货", "退回", "无理由"),
    },
    "app_website": {
        "en": (
            "app ",
            "app.",
            "app,",
            "the app",
            "website",
            "site",
            "checkout",
            "log in",
            "login",
            "logging",
            "crashed",
            "online shop",
            "web shop",
        ),
        "de": (
            "app ",
            "app.",
            "website",
            "webseite",
            "online-shop",
            "onlineshop",
            "checkout",
            "abgestürzt",
            "einloggen",
            "meldet mich",
            "bestandsanzeige",
        ),
        "zh": ("app", "官网", "网站", "网页", "页面", "登录", "闪退", "崩溃", "小程序", "下单"),
    },
    "payment": {
        "en": (
            "payment",
            "paying",
            "paid",
            "card was charged",
            "charged twice",
            "paypal",
            "credit card",
            "invoice",
        ),
        "de": ("bezahl", "zahlung", "paypal", "kreditkarte", "rechnung", "abgebucht"),
        "zh": ("付款", "支付", "扣款", "发票", "支付宝", "微信支付"),
    },
    "stock": {
        "en": (
            "out of stock",
            "in stock",
            "stock info",
            "sold out",
            "availability",
            "back in stock",
        ),
        "de": ("ausverkauft", "nicht vorrätig", "verfügbar", "lagernd", "bestandsanzeige"),
        "zh": ("缺货", "没货", "库存", "断货", "有货", "售罄"),
    },
    "loyalty": {
        "en": ("loyalty", "membership", "member", "points", "rewards", "voucher"),
        "de": ("kundenkarte", "treue", "bonus", "punkte", "mitgliedschaft", "gutschein"),
        "zh": ("会员", "积分", "会员卡", "优惠券", "代金券"),
    },
}

TopicRules = dict[str, dict[str, "re.Pattern[str]"]]


def _pattern(language: str, keywords: Sequence[str]) -> re.Pattern[str]:
    escaped = "|".join(re.escape(keyword.lower()) for keyword in keywords)
    if language in ("de", "zh"):
        return re.compile(f"(?:{escaped})")
    return re.compile(rf"(?<![a-z0-9])(?:{escaped})")


def compile_topics(topics: Mapping[str, Mapping[str, Sequence[str]]]) -> TopicRules:
    """Compiled matchers: topic -> language -> one regex of all its keywords."""
    return {
        topic: {lang: _pattern(lang, words) for lang, words in by_lang.items() if words}
        for topic, by_lang in topics.items()
        if by_lang
    }


def load_topics(path: str | None) -> dict[str, dict[str, tuple[str, ...]]]:
    """Built-in topics, overridden/extended by the JSON file at ``path`` if given."""
    topics = {name: dict(by_lang) for name, by_lang in DEFAULT_TOPICS.items()}
    if path:
        loaded = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(loaded, dict):
            raise ValueError(f"CXM_TEXT_TOPICS: {path} must hold a JSON object")
        for name, by_lang in loaded.items():
            if not isinstance(by_lang, dict):
                raise ValueError(f"CXM_TEXT_TOPICS: topic {name!r} must map language -> list")
            if not by_lang:
                topics.pop(name, None)
                continue
            topics[name] = {
                str(lang): tuple(str(w) for w in words) for lang, words in by_lang.items()
            }
    return topics


@lru_cache(maxsize=4)
def _rules(path: str | None) -> TopicRules:
    return compile_topics(load_topics(path))


def rules() -> TopicRules:
    """The configured topic rules (cached per ``CXM_TEXT_TOPICS`` value)."""
    return _rules(os.environ.get("CXM_TEXT_TOPICS") or None)


def topic_names() -> list[str]:
    return list(rules())


def find_topics(text: str, lang: str, topic_rules: TopicRules | None = None) -> tuple[str, ...]:
    """The topics ``text`` mentions, in the rules' order."""
    lowered = text.lower() + " "
    found = []
    for topic, by_lang in (topic_rules if topic_rules is not None else rules()).items():
        pattern = by_lang.get(lang) or by_lang.get("en")
        if pattern is not None and pattern.search(lowered):
            found.append(topic)
    return tuple(found)
