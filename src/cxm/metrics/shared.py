"""Work shared by the KPIs of one request (the Overview computes 17 at once).

Several KPIs read the same rows: churn, retention and historical CLV the same
orders; upsell and cross-sell the same repeat-order flags; the four service KPIs
the same tickets. Inside ``sharing()`` such work is done once and handed to every
KPI that asks for it (``once``); outside it every call computes afresh, so a
single KPI's request behaves as before. Values live only as long as the scope (no
stale results across requests). Threads started inside the scope see it when run
through ``contextvars.copy_context().run`` (``overview_cards`` does).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar, cast

T = TypeVar("T")


class _Entry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.done = False
        self.value: Any = None


class _Scope:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: dict[Hashable, _Entry] = {}


_scope: ContextVar[_Scope | None] = ContextVar("cxm_metrics_shared", default=None)


@contextmanager
def sharing() -> Iterator[None]:
    token = _scope.set(_Scope())
    try:
        yield
    finally:
        _scope.reset(token)


def active() -> bool:
    return _scope.get() is not None


def once(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` once per key inside a ``sharing()`` scope (concurrent callers of
    the same key wait for the first); outside a scope, just ``compute()``."""
    scope = _scope.get()
    if scope is None:
        return compute()
    with scope.lock:
        entry = scope.entries.setdefault(key, _Entry())
    with entry.lock:
        if not entry.done:
            entry.value = compute()
            entry.done = True
    return cast(T, entry.value)
