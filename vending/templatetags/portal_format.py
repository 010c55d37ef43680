"""Template filters every page shares: one way to write a date, what an audit event is about.

`{{ value|when }}` writes a moment the one way the portal writes dates (settings
`DATETIME_FORMAT`, in the current time zone, e.g. "2026-05-22 14:03 UTC") inside a
`<time>` element whose title says how long ago it was.
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince

from vending.audit_reading import audit_event_target
from vending.models import AuditEvent

register = template.Library()


@register.filter
def when_text(value: datetime | None) -> str:
    """The moment as text, in the one format (for a title attribute, a sentence)."""
    if not isinstance(value, datetime):
        return "—"
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return date_format(local, settings.DATETIME_FORMAT)


@register.filter
def when(value: datetime | None) -> SafeString | str:
    """The moment in a `<time>` element, how long ago in its title."""
    if not isinstance(value, datetime):
        return "—"
    ago = timesince(value) if value <= timezone.now() else ""
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        f"{ago} ago" if ago else when_text(value),
        when_text(value),
    )


@register.filter
def audit_target(event: AuditEvent) -> str:
    """What an audit event is about, by name (vending.audit.audit_event_target)."""
    return audit_event_target(event)
