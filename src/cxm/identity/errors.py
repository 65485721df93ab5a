"""The one error identity raises for bad input, naming the field and the reason."""

from __future__ import annotations

from cxm.errors import FieldError


class IdentityError(FieldError):
    pass
