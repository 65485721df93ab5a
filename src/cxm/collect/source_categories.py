"""Which traffic sources count as search engines, social networks, video and shopping sites.

GA4's default channel group decides Paid/Organic Search, Social, Video and
Shopping by whether the session source is on Google's list of such sites. This is
CXM's own list, written for the markets our users sell in (including mainland
China, Korea, Japan and Russia), so it is data a contributor can extend without
touching the rules in ``traffic.py``.

Each category is a tuple of patterns, matched case-insensitively:

- ``"baidu"`` — a bare ``utm_source`` value (what a marketer types in a tagged link);
- ``"baidu.com"`` — a domain: matches it and every subdomain (``m.baidu.com``);
- ``"google.*"`` — a brand's front door under any public suffix (``google.de``,
  ``www.google.co.uk``, ``m.``/``search.`` too, but not ``mail.google.com``).

A source may be in more than one category (``shopping.google.com`` is both
shopping and search); GA4's rule order decides which wins.
"""

from __future__ import annotations

from enum import StrEnum


class SourceCategory(StrEnum):
    SEARCH = "search"
    SOCIAL = "social"
    VIDEO = "video"
    SHOPPING = "shopping"


# One brand per line reads better than the formatter's one string per line.
# fmt: off
SEARCH: tuple[str, ...] = (
    # Google, including the Android search app when it is the referrer.
    "google", "google.*", "googlesearch", "com.google.android.googlequicksearchbox",
    # Microsoft Bing (cn.bing.com is Bing's mainland China front end).
    "bing", "bing.*", "bing.com", "msn", "msn.com",
    # Baidu.
    "baidu", "baidu.com", "baidu.*",
    "yahoo", "yahoo.*", "search.yahoo.com",
    "duckduckgo", "duckduckgo.com", "ddg",
    "yandex", "yandex.*", "ya.ru",
    "naver", "naver.com",
    "daum", "daum.net",
    "sogou", "sogou.com",
    "ecosia", "ecosia.org",
    "seznam", "seznam.cz",
    # Qihoo 360 search.
    "360", "so.com", "360.cn", "haosou.com",
    # Shenma, Alibaba's mobile search in UC Browser.
    "shenma", "sm.cn",
    "ask", "ask.com",
    "aol", "aol.*",
    "qwant", "qwant.com",
    "startpage", "startpage.com",
    "search.brave.com",
    "coccoc", "coccoc.com",
)

SOCIAL: tuple[str, ...] = (
    # Meta. l./lm./m. facebook.com are the link shims every outbound click passes.
    "facebook", "fb", "facebook.com", "fb.com", "fb.me", "messenger.com",
    "instagram", "ig", "instagram.com",
    "threads", "threads.net",
    "linkedin", "linkedin.com", "lnkd.in",
    # X / Twitter; t.co is its link shortener.
    "twitter", "x", "twitter.com", "x.com", "t.co",
    # ByteDance: TikTok abroad, Douyin in China (iesdouyin.com is Douyin's share links).
    "tiktok", "tiktok.com", "douyin", "douyin.com", "iesdouyin.com",
    # Weibo; t.cn is Weibo's link shortener.
    "weibo", "sinaweibo", "weibo.com", "weibo.cn", "t.cn",
    # WeChat and QQ space (only those Tencent hosts; qq.com as a whole is a portal).
    "wechat", "weixin", "weixin.qq.com", "wx.qq.com", "qzone", "qzone.qq.com",
    # Xiaohongshu (RED); xhslink.com is its share-link domain.
    "xiaohongshu", "xhs", "rednote", "xiaohongshu.com", "xhslink.com",
    "pinterest", "pinterest.*", "pin.it",
    "reddit", "reddit.com", "redd.it",
    "snapchat", "snapchat.com",
    "quora", "quora.com",
    "vk", "vkontakte", "vk.com",
    "kakao", "kakaotalk", "kakao.com",
    "line", "line.me",
    "zhihu", "zhihu.com",
    "douban", "douban.com",
    "tumblr", "tumblr.com",
    "discord", "discord.com",
    "whatsapp", "whatsapp.com", "wa.me",
    "telegram", "t.me",
)

VIDEO: tuple[str, ...] = (
    "youtube", "youtube.com", "youtu.be",
    # Bilibili; b23.tv is its share-link shortener.
    "bilibili", "bilibili.com", "b23.tv",
    "vimeo", "vimeo.com",
    "youku", "youku.com",
    "iqiyi", "iqiyi.com", "iq.com",
    "twitch", "twitch.tv",
    "tencentvideo", "v.qq.com",
    "ixigua", "ixigua.com",
    "dailymotion", "dailymotion.com",
)

SHOPPING: tuple[str, ...] = (
    "amazon", "amazon.*",
    "ebay", "ebay.*",
    "taobao", "taobao.com",
    "tmall", "tmall.com", "tmall.hk",
    "jd", "jingdong", "jd.com", "jd.hk",
    "pinduoduo", "pdd", "pinduoduo.com", "yangkeduo.com",
    "etsy", "etsy.com",
    "walmart", "walmart.*",
    "shopify", "shopify.com", "shop.app",
    "google shopping", "google_shopping", "googleshopping", "shopping.google.com",
    "aliexpress", "aliexpress.com",
    "rakuten", "rakuten.*",
    "mercadolibre", "mercadolibre.*",
    "shopee", "shopee.*",
    "lazada", "lazada.*",
    "zalando", "zalando.*",
    "otto", "otto.de",
    "coupang", "coupang.com",
)

CATEGORY_PATTERNS: dict[SourceCategory, tuple[str, ...]] = {
    SourceCategory.SEARCH: SEARCH,
    SourceCategory.SOCIAL: SOCIAL,
    SourceCategory.VIDEO: VIDEO,
    SourceCategory.SHOPPING: SHOPPING,
}

# Two-label public suffixes under which brands register (google.co.uk, baidu.com.cn).
# Enough to find the registrable domain of the hosts above without shipping the
# whole Public Suffix List.
MULTI_LABEL_SUFFIXES: frozenset[str] = frozenset(
    {
        "co.uk", "org.uk", "ac.uk", "gov.uk",
        "com.cn", "net.cn", "org.cn", "gov.cn", "edu.cn",
        "com.hk", "com.tw", "com.sg", "com.my", "com.ph", "com.vn", "co.th", "co.id",
        "co.jp", "ne.jp", "or.jp", "co.kr", "or.kr", "co.in", "co.il", "co.za",
        "com.au", "net.au", "org.au", "co.nz",
        "com.br", "com.ar", "com.mx", "com.co", "com.pe", "com.tr", "com.ua", "com.eg",
        "com.sa",
    }
)
# fmt: on
