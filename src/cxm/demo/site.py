"""The Lumen & Co. web shop and app as analytics sees them: pages, screens, traffic.

Page ``index`` is country-major: ``country * pages_per_country + local page``. Traffic
sources are the mixes a retailer in each market really gets (Baidu, WeChat, Weibo,
Xiaohongshu in China; Google, Meta, newsletters, affiliates in Europe and the US),
including Google Ads sessions that carry only a ``gclid``.
"""

from __future__ import annotations

from dataclasses import dataclass

from cxm.demo.catalogue import CATEGORIES, Catalogue
from cxm.demo.config import COUNTRIES

HOSTS = {
    "CN": "www.lumenandco.cn",
    "DE": "www.lumenandco.com",
    "GB": "www.lumenandco.com",
    "US": "www.lumenandco.com",
}
PATH_PREFIX = {"CN": "/zh-cn", "DE": "/de-de", "GB": "/en-gb", "US": "/en-us"}
HELP_TOPICS = ("delivery", "returns", "payment", "account", "product-care")
# Local page layout: home, categories, products, then these fixed pages.
FIXED_PAGES = ("search", "cart", "checkout", *(f"help/{t}" for t in HELP_TOPICS), "account")


@dataclass(frozen=True)
class Page:
    url: str
    path: str
    title: str
    screen: str  # the app screen showing the same thing


class Site:
    def __init__(self, catalogue: Catalogue) -> None:
        self.products = catalogue.size
        self.category_base = 1
        self.product_base = 1 + len(CATEGORIES)
        self.fixed_base = self.product_base + catalogue.size
        self.per_country = self.fixed_base + len(FIXED_PAGES)
        self.pages: list[Page] = []
        for country in COUNTRIES:
            self.pages.extend(self._country_pages(country, catalogue))

    def _country_pages(self, country: str, catalogue: Catalogue) -> list[Page]:
        base = f"https://{HOSTS[country]}"
        prefix = PATH_PREFIX[country]
        zh = country == "CN"
        pages = [
            Page(
                f"{base}{prefix}/",
                f"{prefix}/",
                "Lumen & Co." if not zh else "Lumen & Co. 官方商城",
                "Home",
            )
        ]
        for code, name, _, _, zh_name in CATEGORIES:
            path = f"{prefix}/c/{code.lower()}"
            pages.append(
                Page(base + path, path, f"{zh_name if zh else name} | Lumen & Co.", "Category")
            )
        for index in range(catalogue.size):
            path = f"{prefix}/p/{catalogue.product_id[index].lower()}"
            title = catalogue.name_zh[index] if zh else catalogue.name[index]
            pages.append(Page(base + path, path, f"{title} | Lumen & Co.", "Product Detail"))
        for fixed in FIXED_PAGES:
            path = f"{prefix}/{fixed}"
            screen = "Help" if fixed.startswith("help") else fixed.capitalize()
            pages.append(
                Page(base + path, path, f"{fixed.split('/')[-1].title()} | Lumen & Co.", screen)
            )
        return pages

    def fixed(self, name: str) -> int:
        return self.fixed_base + FIXED_PAGES.index(name)


@dataclass(frozen=True)
class Acquisition:
    """Where a session came from: UTM parameters, referrer, click id."""

    weight: float
    source: str = ""
    medium: str = ""
    campaign: str = ""
    referrer: str = ""
    gclid: bool = False

    def query(self) -> str:
        pairs = [
            ("utm_source", self.source),
            ("utm_medium", self.medium),
            ("utm_campaign", self.campaign),
        ]
        return "&".join(f"{k}={v}" for k, v in pairs if v)


WESTERN = (
    Acquisition(0.26),
    Acquisition(0.20, referrer="https://www.google.{tld}/"),
    Acquisition(0.06, "google", "cpc", "brand_search", "https://www.google.{tld}/"),
    Acquisition(0.04, "google", "cpc", "generic_home_textiles", "https://www.google.{tld}/"),
    Acquisition(0.05, referrer="https://www.google.{tld}/", gclid=True),
    Acquisition(0.03, "google", "cpc", "shopping_feed", "https://www.google.{tld}/"),
    Acquisition(0.03, referrer="https://www.bing.com/"),
    Acquisition(0.01, referrer="https://duckduckgo.com/"),
    Acquisition(0.04, "facebook", "paid_social", "autumn_collection", "https://l.facebook.com/"),
    Acquisition(0.03, referrer="https://l.instagram.com/"),
    Acquisition(0.02, referrer="https://www.pinterest.com/"),
    Acquisition(0.08, "newsletter", "email", "weekly_newsletter"),
    Acquisition(0.03, "awin", "affiliate", "partner_deals", "https://www.{deals}/"),
    Acquisition(0.04, referrer="https://www.houzz.com/ideas/living-room"),
    Acquisition(0.02, "criteo", "display", "retargeting_banner"),
    Acquisition(0.01, referrer="https://www.youtube.com/"),
    Acquisition(0.01, "sms", "sms", "order_back_in_stock"),
    Acquisition(0.01, "lumen_app", "push", "price_drop"),
)
CHINA = (
    Acquisition(0.24),
    Acquisition(0.17, referrer="https://www.baidu.com/link"),
    Acquisition(0.08, "baidu", "cpc", "brand_zh", "https://www.baidu.com/"),
    Acquisition(0.06, referrer="https://weibo.com/"),
    Acquisition(0.04, "weibo", "paid_social", "double11_teaser", "https://weibo.com/"),
    Acquisition(0.12, "wechat", "social", "wechat_article"),
    Acquisition(0.07, referrer="https://www.xiaohongshu.com/explore"),
    Acquisition(0.04, "douyin", "paid_video", "home_makeover", "https://www.douyin.com/"),
    Acquisition(0.02, referrer="https://www.sogou.com/"),
    Acquisition(0.02, referrer="https://www.so.com/"),
    Acquisition(0.05, "newsletter", "email", "weekly_newsletter"),
    Acquisition(0.03, "smzdm", "affiliate", "zdm_deals", "https://www.smzdm.com/"),
    Acquisition(0.02, referrer="https://www.bilibili.com/"),
    Acquisition(0.02, referrer="https://detail.tmall.com/"),
    Acquisition(0.02, referrer="https://www.zhihu.com/question/1"),
)
TLDS = {"DE": "de", "GB": "co.uk", "US": "com"}
DEALS = {"DE": "mydealz.de", "GB": "hotukdeals.com", "US": "slickdeals.net"}


def acquisitions(country: str) -> tuple[Acquisition, ...]:
    """The traffic mix of one market, with country-specific hosts filled in."""
    if country == "CN":
        return CHINA
    return tuple(
        Acquisition(
            a.weight,
            a.source,
            a.medium,
            a.campaign,
            a.referrer.format(tld=TLDS[country], deals=DEALS[country]),
            a.gclid,
        )
        for a in WESTERN
    )
