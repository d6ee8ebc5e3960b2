"""The error answers every JSON API operation may give, documented once so each router can list the
ones it really returns (django-ninja writes them as {"detail": ...})."""

from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    """401, 403, 404, 429: the reason in words."""

    detail: str


class ValidationErrorOut(Schema):
    """422: one entry per field that did not validate (pydantic's type, location and message)."""

    detail: list[dict[str, Any]]


def error_responses(*codes: int) -> dict[int, type[Schema]]:
    """`{404: ErrorOut, 422: ValidationErrorOut, ...}` for a router's `response=` mapping."""
    return {code: ValidationErrorOut if code == 422 else ErrorOut for code in codes}
