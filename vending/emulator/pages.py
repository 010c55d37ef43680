"""Pagination as Organizations lists do it: ``MaxResults`` 1-20, an opaque ``NextToken``."""

from __future__ import annotations

from typing import Any

from .protocol import invalid_input

# Organizations' list calls: "MaxResults ... Valid Range: 1-20" (API reference).
MAX_PAGE = 20


def page_bounds(payload: dict[str, Any]) -> tuple[int, int]:
    """(start index, page size) asked for by ``payload``, or InvalidInputException."""
    page_size = payload.get("MaxResults") or MAX_PAGE
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        raise invalid_input("INVALID_INPUT", "MaxResults must be a number.")
    if not 1 <= page_size <= MAX_PAGE:
        raise invalid_input("MAX_VALUE_EXCEEDED", f"MaxResults must be between 1 and {MAX_PAGE}.")
    token = payload.get("NextToken") or "0"
    if not isinstance(token, str) or not token.isdigit():
        raise invalid_input("INVALID_NEXT_TOKEN", "The specified pagination token isn't valid.")
    return int(token), page_size


def page(items: list[dict[str, Any]], payload: dict[str, Any], key: str) -> dict[str, Any]:
    start, page_size = page_bounds(payload)
    answer: dict[str, Any] = {key: items[start : start + page_size]}
    if start + page_size < len(items):
        answer["NextToken"] = str(start + page_size)
    return answer
