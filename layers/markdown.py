"""Markdown that people type, rendered and then sanitized.

Everything an analyst or editor writes goes through ``render`` before it
reaches a browser, so no typed text can run script for a reader.
"""

import html

import markdown as md
import nh3
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "em", "h3", "h4", "hr", "li",
    "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render(text):
    """Return safe HTML for Markdown ``text``."""
    html = md.markdown(text or "", extensions=["tables", "sane_lists"])
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return mark_safe(cleaned)  # noqa: S308 - sanitized by nh3 just above


def to_text(text):
    """Return Markdown ``text`` as plain text, for a meta tag or a title.

    The result is not marked safe: templates escape it like any other text,
    so a quote typed in the Markdown cannot end an HTML attribute.
    """
    return html.unescape(strip_tags(render(text))).strip()
