"""Form widgets that write their HTML directly, for forms on pages that must stay fast.

Django renders a widget through its form templates (the select, each option and each
option's attributes are template includes): a few milliseconds for a select of 40
teams, more than the rest of a list page's query work. These produce the same markup
(tests/web/test_accounts_pages.py compares them with Django's), every value escaped,
without the templates.
"""

from __future__ import annotations

from html import escape
from typing import Any

from django import forms
from django.utils.safestring import SafeString, mark_safe


class DirectSelect(forms.Select):
    """A single-choice select; options without groups."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        chosen = {str(v) for v in self.format_value(value)}
        final = self.build_attrs(self.attrs, attrs)
        options = "".join(
            f'  <option value="{_e(option)}"{" selected" if str(option) in chosen else ""}>'
            f"{_e(label)}</option>\n\n"
            for option, label in self.choices
        )
        return mark_safe(f'<select name="{_e(name)}"{_attributes(final)}>\n{options}</select>')  # noqa: S308


class DirectTextInput(forms.TextInput):
    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        shown = self.format_value(value)
        shown_attr = f' value="{_e(shown)}"' if shown is not None else ""
        kind = _e(self.input_type)
        return mark_safe(f'<input type="{kind}" name="{_e(name)}"{shown_attr}{_attributes(final)}>')  # noqa: S308


def _attributes(attrs: dict[str, Any]) -> str:
    """As django/forms/widgets/attrs.html writes them: in order, True as a bare name,
    False left out."""
    return "".join(
        f" {_e(name)}" if value is True else f' {_e(name)}="{_e(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _e(value: Any) -> str:
    return escape(str(value), quote=True)
