"""The preference centre's words in English, German and Chinese.

``WORDING_VERSION`` goes into every consent entry the centre records: change it
whenever the meaning of a label changes, so the ledger shows which text a person
agreed to.
"""

from __future__ import annotations

WORDING_VERSION = "preference-centre-1"
LANGUAGES = ("en", "de", "zh")
DEFAULT_LANGUAGE = "en"

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Your communication preferences",
        "intro": "Choose what we may do with your data and how we may contact you. "
        "You can change this at any time.",
        "consent": "What you allow",
        "marketing": "News and offers",
        "marketing_help": "Tick each way we may send you news and offers.",
        "personalisation": "Personalised recommendations on our site and app",
        "surveys": "Short surveys about your experience",
        "analytics": "Measuring how our site and app are used",
        "preferences": "What interests you",
        "topics": "Topics",
        "preferred_channel": "Preferred way to hear from us",
        "frequency": "How often",
        "language": "Language",
        "no_choice": "No preference",
        "save": "Save my choices",
        "saved": "Saved. Thank you.",
        "expired": "This link has expired. Please ask us for a new one.",
        "invalid": "This link is not valid. Please use the link from our latest message.",
        "gone": "We no longer hold data about you under this link.",
        "forbidden": "This form could not be verified. Please open the link again.",
        "bad_input": "Something in the form was not valid",
        "email": "E-mail",
        "sms": "SMS",
        "push": "App notifications",
        "messaging": "Messaging apps",
        "phone": "Phone calls",
        "daily": "Daily",
        "weekly": "Weekly",
        "monthly": "Monthly",
        "occasionally": "Occasionally",
        "new_arrivals": "New arrivals",
        "offers": "Offers and sales",
        "home": "Home and living",
        "apparel": "Clothing",
        "events": "Events and store openings",
        "sustainability": "Sustainability",
        "tips": "Care tips and guides",
    },
    "de": {
        "title": "Ihre Kommunikations\u00adeinstellungen",
        "intro": "Legen Sie fest, was wir mit Ihren Daten tun und wie wir Sie kontaktieren "
        "dürfen. Sie können das jederzeit ändern.",
        "consent": "Was Sie erlauben",
        "marketing": "Neuigkeiten und Angebote",
        "marketing_help": "Kreuzen Sie jeden Weg an, auf dem wir Ihnen Neuigkeiten und "
        "Angebote senden dürfen.",
        "personalisation": "Persönliche Empfehlungen auf unserer Website und in der App",
        "surveys": "Kurze Umfragen zu Ihren Erfahrungen",
        "analytics": "Messen, wie unsere Website und App genutzt werden",
        "preferences": "Was Sie interessiert",
        "topics": "Themen",
        "preferred_channel": "Bevorzugter Kontaktweg",
        "frequency": "Wie oft",
        "language": "Sprache",
        "no_choice": "Keine Vorliebe",
        "save": "Auswahl speichern",
        "saved": "Gespeichert. Vielen Dank.",
        "expired": "Dieser Link ist abgelaufen. Bitte fordern Sie einen neuen an.",
        "invalid": "Dieser Link ist ungültig. Bitte nutzen Sie den Link aus unserer "
        "letzten Nachricht.",
        "gone": "Unter diesem Link sind keine Daten über Sie mehr gespeichert.",
        "forbidden": "Das Formular konnte nicht geprüft werden. Bitte öffnen Sie den Link erneut.",
        "bad_input": "Eine Angabe im Formular war ungültig",
        "email": "E-Mail",
        "sms": "SMS",
        "push": "App-Benachrichtigungen",
        "messaging": "Messenger",
        "phone": "Telefonanrufe",
        "daily": "Täglich",
        "weekly": "Wöchentlich",
        "monthly": "Monatlich",
        "occasionally": "Gelegentlich",
        "new_arrivals": "Neuheiten",
        "offers": "Angebote und Sale",
        "home": "Wohnen",
        "apparel": "Mode",
        "events": "Events und Neueröffnungen",
        "sustainability": "Nachhaltigkeit",
        "tips": "Pflegetipps und Ratgeber",
    },
    "zh": {
        "title": "您的沟通偏好",
        "intro": "选择我们可以如何使用您的数据以及如何联系您。您可以随时更改。",
        "consent": "您的授权",
        "marketing": "新闻和优惠",
        "marketing_help": "勾选我们可以向您发送新闻和优惠的方式。",
        "personalisation": "在网站和应用中提供个性化推荐",
        "surveys": "关于您体验的简短调查",
        "analytics": "统计网站和应用的使用情况",
        "preferences": "您感兴趣的内容",
        "topics": "主题",
        "preferred_channel": "首选联系方式",
        "frequency": "频率",
        "language": "语言",
        "no_choice": "无偏好",
        "save": "保存我的选择",
        "saved": "已保存，谢谢。",
        "expired": "此链接已过期，请向我们索取新链接。",
        "invalid": "此链接无效，请使用我们最新消息中的链接。",
        "gone": "我们已不再保存与此链接相关的您的数据。",
        "forbidden": "无法验证此表单，请重新打开链接。",
        "bad_input": "表单中有无效内容",
        "email": "电子邮件",
        "sms": "短信",
        "push": "应用通知",
        "messaging": "即时通讯（微信等）",
        "phone": "电话",
        "daily": "每天",
        "weekly": "每周",
        "monthly": "每月",
        "occasionally": "偶尔",
        "new_arrivals": "新品",
        "offers": "优惠和促销",
        "home": "家居生活",
        "apparel": "服饰",
        "events": "活动和新店开业",
        "sustainability": "可持续发展",
        "tips": "保养技巧和指南",
    },
}
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "zh": "中文"}


def pick_language(*candidates: str | None, accept_language: str | None = None) -> str:
    """The first supported language among the person's own choice, then the browser's."""
    for candidate in candidates:
        if candidate and candidate[:2].lower() in LANGUAGES:
            return candidate[:2].lower()
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip()[:2].lower()
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE
