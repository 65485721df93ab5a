"""Map the channel an order or ticket file names to a CXM touchpoint."""

from __future__ import annotations

from cxm.collect.touchpoints import Touchpoint, parse_touchpoint

# Shop and help-desk exports spell channels in ways the Segment-side aliases do not cover.
_ORDER_ALIASES = {
    "online": Touchpoint.WEB,
    "ecommerce": Touchpoint.WEB,
    "e_commerce": Touchpoint.WEB,
    "webshop": Touchpoint.WEB,
    "web_shop": Touchpoint.WEB,
    "in_store": Touchpoint.STORE,
    "instore": Touchpoint.STORE,
    "retail": Touchpoint.STORE,
    "mobile_app": Touchpoint.APP,
}
# A ticket event keeps the channel only when it names where the conversation happened.
_TICKET_CHANNELS = frozenset(
    {
        Touchpoint.MESSAGING,
        Touchpoint.CONTACT_CENTRE,
        Touchpoint.SOCIAL,
        Touchpoint.EMAIL,
        Touchpoint.STORE,
        Touchpoint.HELP_DESK,
    }
)


def _key(value: str) -> str:
    return value.strip().lower().replace("-", "_").replace(" ", "_")


def order_touchpoint(channel: str | None, store_id: str | None) -> Touchpoint:
    """The order's channel; an order with a store id and no channel was made in a store."""
    if channel:
        found = parse_touchpoint(channel) or _ORDER_ALIASES.get(_key(channel))
        if found is not None:
            return found
        return Touchpoint.OTHER
    return Touchpoint.STORE if store_id else Touchpoint.OTHER


def ticket_touchpoint(channel: str | None) -> Touchpoint:
    """``help_desk`` unless the ticket names a conversational channel (chat, phone, …)."""
    found = parse_touchpoint(channel) if channel else None
    return found if found in _TICKET_CHANNELS and found is not None else Touchpoint.HELP_DESK
