"""Form widgets that write their HTML directly, for forms on pages that must stay fast.

Django renders a widget through its form templates (the select, each option and each
option's attributes are template includes): a few milliseconds for a select of 40
teams, more than the rest of a list page's query work. These produce the same markup
(tests/web/test_accounts_pages.py compares them with Django's), escaped with
`format_html`, without the templates.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


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
        options = format_html_join(
            "",
            '  <option value="{}"{}>{}</option>\n\n',
            (
                (option, " selected" if str(option) in chosen else "", label)
                for option, label in self.choices
            ),
        )
        return format_html('<select name="{}"{}>\n{}</select>', name, _attributes(final), options)


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
        value_attr = format_html(' value="{}"', shown) if shown is not None else ""
        return format_html(
            '<input type="{}" name="{}"{}{}>', self.input_type, name, value_attr, _attributes(final)
        )


def _attributes(attrs: dict[str, Any]) -> SafeString:
    """As django/forms/widgets/attrs.html writes them: in order, True as a bare name,
    False left out."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
            for name, value in attrs.items()
            if value is not False
        ),
    )
