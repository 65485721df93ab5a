"""Review and social-mention texts in Chinese, German and English.

A text is an opener, one or two topic sentences and a closer, each chosen to match
the sentiment of the star rating (1-2 negative, 3 mixed, 4-5 positive). The topics
a text really talks about are returned with it, so text analytics can be scored.
"""

from __future__ import annotations

import numpy as np

TOPICS = ("delivery", "price", "staff", "product_quality", "returns", "app_website")

# language -> topic -> (positive sentences, negative sentences); {p} is the product.
SENTENCES: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "en": {
        "delivery": (
            (
                "Delivery was quick, it arrived in two days.",
                "The parcel came early and well packed.",
            ),
            (
                "Delivery took almost three weeks and nobody told me why.",
                "The courier left the box in the rain and it was damaged.",
            ),
        ),
        "price": (
            ("Great value for the price.", "Fair prices, and the sale was genuine."),
            ("Far too expensive for what you get.", "The price went up a week after I bought it."),
        ),
        "staff": (
            (
                "The staff in the store were friendly and really helpful.",
                "Customer service answered within minutes and sorted it out.",
            ),
            (
                "The staff were rude and could not answer a simple question.",
                "I called customer service four times and got four different answers.",
            ),
        ),
        "product_quality": (
            (
                "The {p} feels solid and looks even better than in the photos.",
                "Lovely quality, the {p} is beautifully made.",
            ),
            (
                "The {p} fell apart after two weeks.",
                "Poor quality: the {p} looks cheap and the seams are coming loose.",
            ),
        ),
        "returns": (
            (
                "Returning a size was easy and the refund came fast.",
                "Free returns with no questions asked.",
            ),
            (
                "I am still waiting for my refund a month after the return.",
                "Returns are a nightmare, the label never arrived.",
            ),
        ),
        "app_website": (
            (
                "The app is easy to use and checkout is smooth.",
                "The website is clear and the stock info is accurate.",
            ),
            (
                "The app keeps logging me out at checkout.",
                "The website crashed twice while I was paying.",
            ),
        ),
    },
    "de": {
        "delivery": (
            (
                "Die Lieferung kam schon nach zwei Tagen.",
                "Schnell geliefert und sehr gut verpackt.",
            ),
            (
                "Die Lieferung hat fast drei Wochen gedauert, ohne jede Info.",
                "Der Paketbote hat das Paket im Regen abgestellt, alles beschädigt.",
            ),
        ),
        "price": (
            ("Preis-Leistung stimmt absolut.", "Faire Preise und ein echter Sale."),
            (
                "Viel zu teuer für diese Qualität.",
                "Eine Woche nach dem Kauf war der Preis plötzlich höher.",
            ),
        ),
        "staff": (
            (
                "Die Mitarbeiter im Laden waren freundlich und kompetent.",
                "Der Kundenservice hat sofort geantwortet und geholfen.",
            ),
            (
                "Das Personal war unfreundlich und völlig ahnungslos.",
                "Viermal bei der Hotline angerufen, viermal eine andere Auskunft.",
            ),
        ),
        "product_quality": (
            (
                "Der Artikel {p} ist hochwertig verarbeitet.",
                "Tolle Qualität, {p} sieht noch schöner aus als auf den Fotos.",
            ),
            (
                "{p} ist nach zwei Wochen kaputtgegangen.",
                "Schlechte Qualität: {p} wirkt billig, die Nähte lösen sich.",
            ),
        ),
        "returns": (
            (
                "Die Rücksendung war einfach und das Geld schnell zurück.",
                "Kostenlose Retoure ohne Diskussion.",
            ),
            (
                "Einen Monat nach der Retoure warte ich immer noch auf mein Geld.",
                "Die Rücksendung ist eine Katastrophe, das Etikett kam nie an.",
            ),
        ),
        "app_website": (
            (
                "Die App ist übersichtlich und der Checkout klappt reibungslos.",
                "Die Website ist klar und die Bestandsanzeige stimmt.",
            ),
            (
                "Die App meldet mich beim Bezahlen ständig ab.",
                "Die Website ist beim Bezahlen zweimal abgestürzt.",
            ),
        ),
    },
    "zh": {
        "delivery": (
            ("物流很快，两天就到了。", "包装很好，提前送达。"),
            ("快递等了快三个星期，也没人通知。", "快递员把箱子放在雨里，东西都湿坏了。"),
        ),
        "price": (
            ("性价比很高。", "价格公道，活动力度是真的。"),
            ("太贵了，不值这个价。", "买完一周就降价了，很生气。"),
        ),
        "staff": (
            ("门店店员很热情，也很专业。", "客服回复很快，问题马上解决了。"),
            ("店员态度很差，问什么都不知道。", "打了四次客服电话，四个不同的答复。"),
        ),
        "product_quality": (
            ("{p}做工很好，比图片还好看。", "质量很棒，{p}很精致。"),
            ("{p}用了两个星期就坏了。", "质量太差，{p}看起来很廉价，线头都开了。"),
        ),
        "returns": (
            ("退换货很方便，退款也很快。", "七天无理由退货，没有任何麻烦。"),
            ("退货一个月了还没收到退款。", "退货流程太麻烦，退货单一直没寄来。"),
        ),
        "app_website": (
            ("App很好用，付款很顺畅。", "官网页面清晰，库存信息准确。"),
            ("App付款时老是自动退出登录。", "官网付款时崩溃了两次。"),
        ),
    },
}
OPENERS = {
    "en": {
        "positive": ("Really happy!", "Five stars from me.", "Lovely shop."),
        "mixed": ("Mixed feelings.", "Okay, but not great.", "Some good, some bad."),
        "negative": ("Very disappointed.", "Never again.", "Avoid."),
    },
    "de": {
        "positive": ("Rundum zufrieden!", "Klare Empfehlung.", "Toller Laden."),
        "mixed": ("Gemischte Gefühle.", "Ganz okay, mehr nicht.", "Licht und Schatten."),
        "negative": ("Sehr enttäuscht.", "Nie wieder.", "Finger weg."),
    },
    "zh": {
        "positive": ("非常满意！", "五星好评。", "很喜欢这家店。"),
        "mixed": ("感觉一般。", "还行吧。", "有好有坏。"),
        "negative": ("非常失望。", "再也不买了。", "大家避雷。"),
    },
}
CLOSERS = {
    "en": {
        "positive": ("Will order again.", "Highly recommended."),
        "mixed": ("Might give them another try.", ""),
        "negative": ("Taking my money elsewhere.", "Cancelled my membership."),
    },
    "de": {
        "positive": ("Bestelle gern wieder.", "Sehr zu empfehlen."),
        "mixed": ("Vielleicht versuche ich es noch einmal.", ""),
        "negative": ("Ich kaufe jetzt woanders.", "Kundenkarte gekündigt."),
    },
    "zh": {
        "positive": ("会回购的。", "强烈推荐。"),
        "mixed": ("可能还会再试试。", ""),
        "negative": ("以后去别家买了。", "会员卡已经退了。"),
    },
}
# Which topics people write about, by sentiment.
TOPIC_WEIGHTS = {
    "positive": (0.2, 0.2, 0.15, 0.35, 0.05, 0.05),
    "negative": (0.25, 0.1, 0.15, 0.2, 0.2, 0.1),
}


def sentiment_of(rating: int) -> str:
    return "negative" if rating <= 2 else "mixed" if rating == 3 else "positive"


def _one(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(rng.integers(len(options)))]


def compose(
    rng: np.random.Generator, language: str, rating: int, product: str
) -> tuple[str, list[str]]:
    """A review text whose tone matches ``rating``, and the topics it mentions."""
    sentiment = sentiment_of(rating)
    if sentiment == "mixed":
        picks = rng.choice(len(TOPICS), size=2, replace=False)
        polarity: tuple[int, ...] = (0, 1)
    else:
        weights = np.array(TOPIC_WEIGHTS[sentiment])
        count = 1 + int(rng.random() < 0.45)
        picks = rng.choice(len(TOPICS), size=count, replace=False, p=weights)
        polarity = (0 if sentiment == "positive" else 1,) * count
    parts = [_one(rng, OPENERS[language][sentiment])]
    for topic, side in zip(picks, polarity, strict=True):
        parts.append(_one(rng, SENTENCES[language][TOPICS[int(topic)]][side]).format(p=product))
    closer = _one(rng, CLOSERS[language][sentiment])
    if closer:
        parts.append(closer)
    separator = "" if language == "zh" else " "
    return separator.join(parts), [TOPICS[int(t)] for t in picks]
