"""The one Markdown dialect, parsed once per chapter into tokens that every target renders."""

from __future__ import annotations

from functools import cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from build_report.markup.slugs import slugify

TEACHER = "teacher"  # `::: teacher` ... `:::` blocks: kept only in teacher editions


@cache
def parser() -> MarkdownIt:
    """CommonMark plus tables, footnotes, attributes, definition lists, strikethrough, and
    typographic quotes and dashes. How each target renders it is renderer.py's business."""
    from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
    from mdit_py_plugins.container import container_plugin
    from mdit_py_plugins.deflist import deflist_plugin
    from mdit_py_plugins.footnote import footnote_plugin

    md = MarkdownIt("commonmark", {"typographer": True, "html": True})
    md.enable(["replacements", "smartquotes", "table", "strikethrough"])
    md.use(footnote_plugin).use(attrs_plugin).use(attrs_block_plugin).use(deflist_plugin)
    md.use(container_plugin, name=TEACHER)
    return md


def heading_id(chapter_slug: str, name: str) -> str:
    """A heading's id in the documents: prefixed by its chapter, so it is unique in the book."""
    return f"{chapter_slug}--{name}"


def parse(text: str, chapter_slug: str) -> tuple[list[Token], dict[str, Any]]:
    """Parse once; give every heading a stable id, prefixed by the chapter to be book-unique."""
    env: dict[str, Any] = {}
    tokens = parser().parse(text, env)
    seen: set[str] = set()
    for i, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        given = token.attrGet("id")
        base = str(given) if given else slugify(tokens[i + 1].content, "section")
        ident, n = heading_id(chapter_slug, base), 1
        while ident in seen:
            n += 1
            ident = heading_id(chapter_slug, f"{base}-{n}")
        seen.add(ident)
        token.attrSet("id", ident)
    return tokens, env


def headings(tokens: list[Token], level: int = 2) -> list[tuple[str, str]]:
    """(id, plain text) of the chapter's headings at one level, for tables of contents."""
    found = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == f"h{level}":
            inline = tokens[i + 1]
            text = "".join(
                child.content
                for child in inline.children or []
                if child.type in ("text", "code_inline")
            )
            found.append((str(token.attrGet("id")), text.strip()))
    return found


def body_tokens(tokens: list[Token]) -> list[Token]:
    """The chapter text without the footnote block that the plugin appends."""
    for i, token in enumerate(tokens):
        if token.type == "footnote_block_open":
            return tokens[:i]
    return tokens


def footnote_tokens(tokens: list[Token], env: dict[str, Any]) -> dict[int, list[Token]]:
    """Each footnote's content (without the back-reference arrow), by footnote number - 1;
    inline `^[...]` notes as one inline token."""
    inner: dict[int, list[Token]] = {}
    current: int | None = None
    for token in tokens:
        if token.type == "footnote_open":
            current = token.meta["id"]
            inner[current] = []
        elif token.type == "footnote_close":
            current = None
        elif current is not None and token.type != "footnote_anchor":
            inner[current].append(token)
    for ident, note in env.get("footnotes", {}).get("list", {}).items():
        if ident not in inner and "tokens" in note:
            inline = Token("inline", "", 0, children=note["tokens"], content=note["content"])
            inner[ident] = [
                Token("paragraph_open", "p", 1),
                inline,
                Token("paragraph_close", "p", -1),
            ]
    return inner


def without_teacher_blocks(tokens: list[Token]) -> list[Token]:
    """The student edition: every `::: teacher` block removed, nested ones included."""
    out: list[Token] = []
    depth = 0
    for token in tokens:
        if token.type == f"container_{TEACHER}_open":
            depth += 1
        elif token.type == f"container_{TEACHER}_close":
            depth -= 1
        elif depth == 0:
            out.append(token)
    return out


def has_raw_html(tokens: list[Token]) -> bool:
    """Whether the chapter holds raw HTML (which must be balanced before it is sanitized)."""
    return any(t.type in ("html_block", "html_inline") for t in tokens) or any(
        c.type == "html_inline" for t in tokens for c in t.children or []
    )
