"""Message bodies: sanitised HTML plus a plain-text copy."""

from __future__ import annotations

import html
import re

import nh3

_TAGS = {
    "a", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "hr", "i", "img",
    "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "u", "ul",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "td": {"colspan"}}
_BLOCK_END = re.compile(r"</(p|div|li|h[1-4]|tr|blockquote|pre)>|<br\s*/?>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def sanitise_html(body: str) -> str:
    """Safe HTML: no scripts, no event handlers, no javascript: URLs."""
    return nh3.clean(
        body,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel", "cid"},
        link_rel="noopener noreferrer nofollow",
    )


def html_to_text(safe_html: str) -> str:
    """A readable plain-text copy of sanitised HTML."""
    with_breaks = _BLOCK_END.sub("\n", safe_html)
    stripped = nh3.clean(with_breaks, tags=set(), clean_content_tags={"style", "script"})
    text = html.unescape(stripped)
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def looks_like_html(body: str) -> bool:
    return bool(re.search(r"<[a-zA-Z!/][^>]*>", body))


def prepare_body(body: str) -> tuple[str, str]:
    """(safe_html, text) for a body given as HTML or plain text."""
    if looks_like_html(body):
        safe = sanitise_html(body)
        return safe, html_to_text(safe)
    escaped = html.escape(body).replace("\n", "<br>")
    return escaped, body.strip()
