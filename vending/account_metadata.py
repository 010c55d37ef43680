"""Who owns a vended account and what it is charged to: the rules its owner, cost centre,
tags, alternate contacts and monthly budget must meet, checked before any AWS call.

AWS's rules, which moto does not enforce:

- tags (Organizations, CreateAccount `Tags`): a key is 1-128 characters, a value 0-256,
  both of letters, numbers, white space and `_ . : / = + - @` (`\\p{L}\\p{Z}\\p{N}`); no key
  starts with `aws:` (AWS's own); at most 50 tags on a resource. The portal adds its own
  (`vending:...`, `naming.account_tags`): no requested key may start with `vending:`, and
  they count towards the 50. Two keys that differ only in case are refused: AWS keeps
  both, and every report that groups by tag would split the account in two;
- alternate contacts (Account API, PutAlternateContact): name 1-64 characters, title
  1-50, e-mail 1-254 matching AWS's pattern, phone 1-25 of digits, spaces and `()+-`;
  all four are required for a contact;
- budgets: a positive amount in USD, with cents at most.

Each check returns the messages of one field (empty: fine), so a form, a serializer and
a service report every problem at once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from vending.choices import ContactType

TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
TAGS_PER_RESOURCE = 50
# Prefixes a requested tag key may not take: AWS's own, and the portal's.
RESERVED_TAG_PREFIXES = ("aws:", "vending:")
_TAG_PUNCTUATION = frozenset("_.:/=+-@")

COST_CENTRE_MAX = 64
_COST_CENTRE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
COST_CENTRE_RULE = (
    f"1-{COST_CENTRE_MAX} letters, digits and . _ / -, starting with a letter or digit."
)

# Budgets: AWS takes any positive amount; the portal refuses typos of a few zeros too many.
BUDGET_MAX = Decimal("10000000")
BUDGET_CURRENCY = "USD"

CONTACT_FIELDS = {"name": 64, "title": 50, "email": 254, "phone": 25}
_CONTACT_EMAIL = re.compile(r"^[\s]*[\w+=.#|!&-]+@[\w.-]+\.[\w]+[\s]*$")
_CONTACT_PHONE = re.compile(r"^[\s0-9()+-]+$")


def tag_text_allowed(text: str) -> bool:
    """Letters, white space, numbers (any script) and `_ . : / = + - @`."""
    return all(ch in _TAG_PUNCTUATION or unicodedata.category(ch)[0] in "LZN" for ch in text)


def tag_errors(pairs: Iterable[tuple[Any, Any]], *, portal_tags: int) -> list[str]:
    """The problems of requested tags (key, value pairs, in the order given); the
    portal's own `portal_tags` count towards AWS's 50."""
    errors: list[str] = []
    seen: dict[str, str] = {}
    count = 0
    for key, value in pairs:
        count += 1
        if not isinstance(key, str) or not isinstance(value, str):
            errors.append(f"Tag {key!r}: the key and the value must be text.")
            continue
        label = f"Tag '{key[:40]}'"
        if not 1 <= len(key) <= TAG_KEY_MAX:
            errors.append(f"{label}: a key is 1 to {TAG_KEY_MAX} characters.")
        if len(value) > TAG_VALUE_MAX:
            errors.append(f"{label}: a value is at most {TAG_VALUE_MAX} characters.")
        if not tag_text_allowed(key) or not tag_text_allowed(value):
            errors.append(
                f"{label}: use letters, numbers, spaces and _ . : / = + - @ only "
                "(in the key and the value)."
            )
        reserved = next((p for p in RESERVED_TAG_PREFIXES if key.lower().startswith(p)), None)
        if reserved is not None:
            errors.append(
                f"{label}: keys starting with '{reserved}' are reserved "
                + ("by AWS." if reserved == "aws:" else "for the portal's own tags.")
            )
        folded = key.casefold()
        if folded in seen:
            errors.append(f"{label}: the key is given twice (as '{seen[folded][:40]}' too).")
        seen.setdefault(folded, key)
    room = TAGS_PER_RESOURCE - portal_tags
    if count > room:
        errors.append(
            f"{count} tags: AWS allows {TAGS_PER_RESOURCE} on an account and the portal "
            f"sets {portal_tags} of its own, so at most {room}."
        )
    return errors


def tag_pairs(raw: Any) -> list[tuple[Any, Any]]:
    """Tags as given to the API (an object), as key, value pairs."""
    return list(raw.items()) if isinstance(raw, Mapping) else []


def cost_centre_errors(value: str) -> list[str]:
    if len(value) > COST_CENTRE_MAX or not _COST_CENTRE.match(value):
        return [f"Not a cost centre: {COST_CENTRE_RULE}"]
    return []


def contact_errors(raw: Any) -> list[str]:
    """The problems of alternate contacts: `{"billing": {"name", "title", "email",
    "phone"}, "operations": {...}, "security": {...}}`, each optional."""
    if not isinstance(raw, Mapping):
        return ["Give the contacts as an object: billing, operations and security."]
    errors: list[str] = []
    for kind in sorted(set(raw) - set(ContactType.values), key=str):
        errors.append(f"'{kind}' is not a contact; use billing, operations or security.")
    for kind in ContactType.values:
        contact = raw.get(kind)
        if contact is None:
            continue
        if not isinstance(contact, Mapping):
            errors.append(f"{kind}: give name, title, email and phone.")
            continue
        for name in sorted(set(contact) - set(CONTACT_FIELDS), key=str):
            errors.append(f"{kind}.{name}: unknown; a contact has name, title, email, phone.")
        for name, limit in CONTACT_FIELDS.items():
            value = contact.get(name)
            if not isinstance(value, str) or not value.strip():
                errors.append(f"{kind}.{name}: required (AWS needs all four).")
            elif len(value) > limit:
                errors.append(f"{kind}.{name}: at most {limit} characters.")
            elif name == "email" and not _CONTACT_EMAIL.match(value):
                errors.append(f"{kind}.email: not an e-mail address AWS accepts.")
            elif name == "phone" and not _CONTACT_PHONE.match(value):
                errors.append(f"{kind}.phone: digits, spaces and ( ) + - only.")
    return errors


def contacts_clean(raw: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Valid contacts as stored: the given types, each field stripped."""
    return {
        kind: {name: str(raw[kind][name]).strip() for name in CONTACT_FIELDS}
        for kind in ContactType.values
        if raw.get(kind) is not None
    }


def budget_errors(amount: Any) -> list[str]:
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return ["Give the monthly budget as an amount in USD, e.g. 500 or 1250.50."]
    if not value.is_finite() or value <= 0:
        return ["A budget is a positive amount in USD."]
    if value > BUDGET_MAX:
        return [f"At most {BUDGET_MAX:,} USD a month."]
    if value != value.quantize(Decimal("0.01")):
        return ["Cents at most (two decimal places)."]
    return []
