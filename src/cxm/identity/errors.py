"""The one error identity raises for bad input, naming the field and the reason."""

from __future__ import annotations


class IdentityError(ValueError):
    def __init__(self, field: str, reason: str, status: int = 400) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.status = status
