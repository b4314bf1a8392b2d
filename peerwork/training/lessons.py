"""Lesson Markdown rendered safely: raw HTML off in the parser, then sanitized."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    "table"
)
_TAGS = {
    "p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "blockquote", "code", "pre",
    "a", "hr", "br", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


def render_lesson(markdown: str) -> Markup:
    """HTML for a lesson; `<h1>` is demoted because the page owns the title."""
    html = _md.render(markdown or "").replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer",
    )
    return Markup(clean)  # noqa: S704 - sanitized by nh3 just above
