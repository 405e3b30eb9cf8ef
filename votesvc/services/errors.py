"""Domain errors: what a use case refuses, with a stable code.

Services raise these; :mod:`votesvc.api.errors` alone turns them into HTTP responses and the CLI
prints them. ``params`` fill the placeholders of the code's message in the catalogue;
``fields`` says which input fields were wrong, in marshmallow's shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class DomainError(Exception):
    code = "domain_error"

    def __init__(
        self,
        code: str | None = None,
        *,
        fields: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> None:
        self.code = code or type(self).code
        self.fields = dict(fields or {})
        self.params = params
        super().__init__(self.code, self.fields, self.params)


class NotFound(DomainError):
    code = "not_found"


class Unauthorized(DomainError):
    code = "unauthorized"


class Forbidden(DomainError):
    code = "forbidden"


class Conflict(DomainError):
    """The request is well formed but clashes with the stored state (duplicates, phases)."""

    code = "conflict"


class Invalid(DomainError):
    """The input breaks a rule that involves more than one field or the stored state."""

    code = "validation_failed"


class Malformed(DomainError):
    """The request cannot be read at all: its body is not JSON the API accepts."""

    code = "malformed_json"


class Unavailable(DomainError):
    """The service cannot answer now (a dependency is down); retrying later may succeed."""

    code = "service_unavailable"
