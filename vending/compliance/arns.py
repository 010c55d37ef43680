"""Can a statement's `Resource` / `NotResource` scope match the resources an action acts on?

The simulator has no request, so it cannot know the resource; it knows from the pinned
IAM data which resource types an action acts on and their ARN formats
(`arn:${Partition}:sso:::permissionSet/${InstanceId}/${PermissionSetId}`). AWS's rules
("IAM JSON policy elements: Resource" and "NotResource",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html):

* A request acts on resources of the action's types; an action with no resource type
  acts on `*`, which only a pattern matching the text `*` (in practice `"*"`) matches.
* `*` matches any run of characters and `?` one, case-sensitively; a policy variable
  (`${aws:username}`) can be anything, except `${*}`, `${?}`, `${$}`, which are the
  literal characters.

An answer per scope and action:

* "always": the scope matches every request of the action (`Resource` with `"*"`;
  `NotResource` none of whose patterns can match any of the action's resources).
* "never": no request (`NotResource` with `"*"`; `Resource` none of whose patterns can
  match any of the action's ARN formats: another service, another resource type).
* "sometimes": it depends on the resource.

A pattern can match a format when some ARN fits both (a format's `${...}` stands for
one name or id: non-empty, without ":"). That is exact for one pattern against one
format. Patterns are not combined, and only `"*"` counts as covering every resource:
a list that happens to cover them all (`arn:*`) reads "sometimes", never "always", so
the answer errs towards "depends", never towards a wrong certainty.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

Applies = Literal["never", "sometimes", "always"]

# Tokens: a one-character string is a literal; the others are wildcards: any text, one
# character, and the same two without ":" (a format's placeholders).
_STAR = "\x00*"
_ONE = "\x00?"
_SEGMENT_STAR = "\x00+"
_SEGMENT_ONE = "\x00."
_STARS = (_STAR, _SEGMENT_STAR)
_WILDCARDS = (_STAR, _ONE, _SEGMENT_STAR, _SEGMENT_ONE)
_LITERAL_VARIABLES = {"${*}": "*", "${?}": "?", "${$}": "$"}


def _format_tokens(arn_format: str) -> tuple[str, ...]:
    """An ARN format's tokens: a `${...}` placeholder is one name or id, some non-empty
    text without ":" (where a resource's id has colons, the formats spell them out:
    `function:${FunctionName}:${Version}`, `log-group:${LogGroupName}:log-stream:...`);
    a `*` in a format is any text."""
    out: list[str] = []
    i = 0
    while i < len(arn_format):
        if arn_format.startswith("${", i) and "}" in arn_format[i:]:
            out += [_SEGMENT_ONE, _SEGMENT_STAR]
            i = arn_format.index("}", i) + 1
            continue
        char = arn_format[i]
        out.append(_STAR if char == "*" else char)
        i += 1
    return tuple(out)


def _pattern_tokens(pattern: str) -> tuple[str, ...]:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("${", i) and "}" in pattern[i:]:
            end = pattern.index("}", i) + 1
            out.append(_LITERAL_VARIABLES.get(pattern[i:end], _STAR))
            i = end
            continue
        char = pattern[i]
        out.append(_STAR if char == "*" else _ONE if char == "?" else char)
        i += 1
    return tuple(out)


def _one_char_fits_both(x: str, y: str) -> bool:
    if x in _WILDCARDS and y in _WILDCARDS:
        return True
    if x in _WILDCARDS or y in _WILDCARDS:
        wildcard, literal = (x, y) if x in _WILDCARDS else (y, x)
        return literal != ":" or wildcard in (_STAR, _ONE)
    return x == y


def _intersects(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Is there a string both token sequences match? (A walk of the product automaton.)"""
    end = (len(a), len(b))
    seen: set[tuple[int, int]] = set()
    stack = [(0, 0)]
    while stack:
        state = stack.pop()
        if state in seen:
            continue
        seen.add(state)
        if state == end:
            return True
        i, j = state
        x = a[i] if i < end[0] else None
        y = b[j] if j < end[1] else None
        if x in _STARS:
            stack.append((i + 1, j))
        if y in _STARS:
            stack.append((i, j + 1))
        if x is None or y is None or (x in _STARS and y in _STARS):
            continue
        if _one_char_fits_both(x, y):
            stack.append((i if x in _STARS else i + 1, j if y in _STARS else j + 1))
    return False


def _service_segment(text: str) -> str | None:
    """The service of an ARN (`arn:aws:sso:...` -> sso) when wildcards cannot shift it."""
    parts = text.split(":", 3)
    if len(parts) < 4 or any(c in "".join(parts[:3]) for c in "*?$"):
        return None
    return parts[2]


def _only_stars(pattern: str) -> bool:
    return pattern != "" and pattern.strip("*") == ""


@lru_cache(maxsize=65536)
def pattern_can_match(pattern: str, arn_format: str) -> bool:
    """Whether some ARN of `arn_format` (the IAM data's `${...}` placeholders) fits `pattern`."""
    ours, theirs = _service_segment(pattern), _service_segment(arn_format.replace("${", "x{"))
    if ours is not None and theirs is not None and ours != theirs:
        return False
    return _intersects(_pattern_tokens(pattern), _format_tokens(arn_format))


@lru_cache(maxsize=4096)
def _matches_any_resource(pattern: str) -> bool:
    """Whether `pattern` matches the text `*`: the resource of an action with no type."""
    return _intersects(_pattern_tokens(pattern), ("*",))


@lru_cache(maxsize=65536)
def scope_applies(
    patterns: tuple[str, ...], negated: bool, formats: tuple[str, ...] | None
) -> Applies:
    """How a `Resource` (or, `negated`, a `NotResource`) list applies to an action's requests.

    `formats` are the action's ARN formats: `()` for an action with no resource type,
    None for an action the IAM data does not know (its resources are unknown).
    """
    if any(_only_stars(p) for p in patterns):
        return "never" if negated else "always"
    if formats is None:
        return "sometimes"
    if not formats:
        hit = any(_matches_any_resource(p) for p in patterns)
    elif any(pattern_can_match(p, f) for p in patterns for f in formats):
        return "sometimes"
    else:
        hit = False
    return ("never" if hit else "always") if negated else ("always" if hit else "never")
