"""Markdown in, sanitized HTML out: one markdown-it parser, rendered per target (print or EPUB)."""

from __future__ import annotations

import copy
import posixpath
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

PRINT = "print"
EPUB = "epub"
MAX_DEPTH = 100  # nesting of HTML elements in a chapter; deeper trees exhaust the layout engine
TEACHER = "teacher"  # `::: teacher` ... `:::` blocks: kept only in teacher editions


@dataclass(frozen=True)
class LinkMap:
    """Where each chapter file ends up, so `02-x.md#y` links can be rewritten per target."""

    target: str
    chapter_slugs: dict[str, str]  # source file name -> chapter slug
    files: dict[str, str]  # chapter slug -> output file (EPUB); empty for print


@cache
def parser() -> MarkdownIt:
    """The one Markdown dialect: CommonMark plus tables, footnotes, attributes, definition lists,
    strikethrough, and typographic quotes and dashes."""
    from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
    from mdit_py_plugins.container import container_plugin
    from mdit_py_plugins.deflist import deflist_plugin
    from mdit_py_plugins.footnote import footnote_plugin

    md = MarkdownIt("commonmark", {"typographer": True, "html": True})
    md.enable(["replacements", "smartquotes", "table", "strikethrough"])
    md.use(footnote_plugin).use(attrs_plugin).use(attrs_block_plugin).use(deflist_plugin)
    md.use(container_plugin, name=TEACHER, render=_render_teacher)
    md.add_render_rule("footnote_ref", _render_footnote_ref)
    md.add_render_rule("link_open", _render_link_open)
    md.add_render_rule("image", _render_image)
    return md


def slug_text(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "section"


def parse(text: str, chapter_slug: str) -> tuple[list[Token], dict[str, Any]]:
    """Parse once; give every heading a stable id, prefixed by the chapter to be book-unique."""
    env: dict[str, Any] = {}
    tokens = parser().parse(text, env)
    seen: set[str] = set()
    for i, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        given = token.attrGet("id")
        base = str(given) if given else slug_text(tokens[i + 1].content)
        ident, n = f"{chapter_slug}--{base}", 1
        while ident in seen:
            n += 1
            ident = f"{chapter_slug}--{base}-{n}"
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


def footnote_bodies(tokens: list[Token], env: dict[str, Any]) -> dict[int, str]:
    """Render each footnote's content on its own (without the back-reference arrow).

    `env` is the render environment, so links inside notes follow the target's rules too.
    """
    md = parser()
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
    bodies = {i: md.renderer.render(toks, md.options, env).strip() for i, toks in inner.items()}
    for ident, note in env.get("footnotes", {}).get("list", {}).items():
        if ident not in bodies and "tokens" in note:  # inline ^[...] footnotes
            inline = Token("inline", "", 0, children=note["tokens"], content=note["content"])
            bodies[ident] = "<p>" + md.renderer.render([inline], md.options, env) + "</p>"
    return bodies


def body_tokens(tokens: list[Token]) -> list[Token]:
    """The chapter text without the footnote block that the plugin appends."""
    for i, token in enumerate(tokens):
        if token.type == "footnote_block_open":
            return tokens[:i]
    return tokens


def _render_teacher(self, tokens, idx, options, env) -> str:
    if tokens[idx].nesting == 1:
        return '<div class="teacher-only"><p class="teacher-label">For teachers</p>\n'
    return "</div>\n"


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


def _render_footnote_ref(self, tokens, idx, options, env) -> str:
    ctx = env["_render"]
    ident = tokens[idx].meta["id"]
    number = ident + 1
    slug = ctx["slug"]
    if ctx["target"] == PRINT:
        inner = re.sub(r"</p>\s*<p>", " ", ctx["notes"].get(ident, ""))
        inner = re.sub(r"^<p>|</p>$", "", inner.strip())
        return f'<span class="footnote" id="fn-{slug}-{number}">{inner}</span>'
    sub = tokens[idx].meta.get("subId", 0)
    ref_id = f"fnref-{slug}-{number}" + (f"-{sub}" if sub else "")
    return (
        f'<sup><a class="noteref" role="doc-noteref" id="{ref_id}" '
        f'href="#fn-{slug}-{number}">{number}</a></sup>'
    )


def _render_link_open(self, tokens, idx, options, env) -> str:
    token = copy.copy(tokens[idx])
    token.attrs = dict(token.attrs)
    href = str(token.attrGet("href") or "")
    token.attrSet("href", rewrite_href(href, env["_render"]["links"]))
    return self.renderToken([token], 0, options, env)


def image_src(src: str) -> str:
    """Images are written relative to the chapter; documents resolve them from the root."""
    if urlsplit(src).scheme:
        return src
    return posixpath.normpath(posixpath.join("chapters", unquote(src)))


def _render_image(self, tokens, idx, options, env) -> str:
    token = copy.copy(tokens[idx])
    token.attrs = dict(token.attrs)
    token.attrSet("src", image_src(str(token.attrGet("src") or "")))
    return self.image([token], 0, options, env)


def rewrite_href(href: str, links: LinkMap) -> str:
    """`02-genesis.md#x` -> `#genesis--x` in print, `genesis.xhtml#genesis--x` in EPUB."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.endswith(".md"):
        return href
    name = posixpath.basename(unquote(parts.path))
    slug = links.chapter_slugs.get(name)
    if slug is None:
        return href
    fragment = f"{slug}--{parts.fragment}" if parts.fragment else f"ch-{slug}"
    if links.target == PRINT:
        return f"#{fragment}"
    return f"{links.files[slug]}#{fragment}"


ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "samp",
    "section",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
    "var",
    "aside",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "lang", "title", "dir", "role"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "style", "scope"},
    "ol": {"start", "reversed", "type"},
    "col": {"span"},
    "colgroup": {"span"},
}


def balance(html: str) -> str:
    """Close what raw HTML left open at the end of its parent, as lxml (libxml2) does.

    An HTML5 parser would carry an unclosed `<b>` on into every later paragraph; closing it
    where its parent ends keeps the damage local, and the same in print and in the EPUB.
    """
    from lxml import etree
    from lxml import html as lxml_html

    if not html.strip():
        return html
    holder = lxml_html.fragment_fromstring(html, create_parent="div")
    if max((len(list(node.iterancestors())) for node in holder.iter()), default=0) > MAX_DEPTH:
        raise ValueError(f"raw HTML is nested more than {MAX_DEPTH} levels deep")
    expected = len(re.sub(r"\s+|<[^>]*>|&[#\w]+;", "", html))
    kept = len(re.sub(r"\s+", "", holder.text_content()))
    if kept < expected * 0.9 - 10:  # libxml2 drops what is nested past its depth limit
        raise ValueError("raw HTML is nested too deeply")
    inner = etree.tostring(holder, method="html", encoding="unicode")
    return inner[len("<div>") : -len("</div>")]


def sanitize(html: str, raw: bool = True) -> str:
    """Chapters come from other people: keep the document's structure, drop scripts and the rest.

    `raw` says whether the Markdown held raw HTML; without it, our own renderer's output is
    already balanced and the lxml pass is skipped.
    """
    import nh3

    return nh3.clean(
        balance(html) if raw else html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
        filter_style_properties={"text-align"},
        strip_comments=True,
    )


def render_inline(text: str) -> str:
    """Front matter strings (key points, terms) get the same typography and inline Markdown."""
    return sanitize(parser().renderInline(text))


def render(
    tokens: list[Token], env: dict[str, Any], *, target: str, slug: str, links: LinkMap
) -> tuple[str, dict[int, str]]:
    """Render a chapter's body for one target; return (body HTML, footnote bodies by number)."""
    md = parser()
    render_env = dict(env)
    render_env["_render"] = {"target": target, "slug": slug, "notes": {}, "links": links}
    body = body_tokens(tokens)
    referenced = {
        child.meta["id"]
        for token in body
        for child in token.children or []
        if child.type == "footnote_ref"
    }
    raw = any(t.type in ("html_block", "html_inline") for t in tokens) or any(
        c.type == "html_inline" for t in tokens for c in t.children or []
    )
    notes = {
        i: sanitize(html, raw)
        for i, html in footnote_bodies(tokens, render_env).items()
        if i in referenced  # a note whose call was in a removed teacher block goes too
    }
    render_env["_render"]["notes"] = notes
    html = md.renderer.render(body, md.options, render_env)
    return sanitize(html, raw), notes
