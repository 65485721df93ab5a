"""The one shape of bad-input errors: the field that is wrong and why.

Every package's input errors subclass ``FieldError``, so the API renders any of them as
a 4xx JSON body ``{"error", "field", "reason"}`` and the CLI as ``error: field: reason``
with a non-zero exit, even where a route or command forgot to catch one.
"""

from __future__ import annotations


class FieldError(ValueError):
    """Bad input: ``field`` names what is wrong (a path such as ``questions[2].scale``),
    ``reason`` says why; ``status`` is the HTTP status it maps to (400, 404, 409…)."""

    code = "invalid"

    def __init__(self, field: str, reason: str, status: int = 400) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.status = status
