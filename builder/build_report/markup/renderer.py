"""Tokens -> sanitized HTML for one target: print (one document, notes at the foot of the
page) or EPUB (a document per chapter, notes at its end)."""

from __future__ import annotations

import posixpath
import re
from functools import cache, lru_cache
from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

from build_report.markup import callouts, trusted
from build_report.markup.parser import (
    TEACHER,
    body_tokens,
    emojized,
    footnote_tokens,
    has_raw_html,
    parser,
    plain_text,
)
from build_report.markup.resolver import WEB, ChapterLinks
from build_report.markup.rich import add_render_rules
from build_report.markup.sanitize import sanitize
from build_report.markup.tables import with_fits
from build_report.project.languages import speaking, words_in

PRINT = "print"
EPUB = "epub"


@cache
def markdown() -> MarkdownIt:
    """The dialect's parser with our render rules added (footnotes, teacher blocks)."""
    md = parser()
    md.add_render_rule("footnote_ref", _footnote_ref)
    md.add_render_rule("list_item_open", _list_item_open)
    md.add_render_rule("text", _text)
    md.add_render_rule(f"container_{TEACHER}_open", _teacher_open)
    md.add_render_rule(f"container_{TEACHER}_close", _teacher_close)
    md.add_render_rule("table_open", _table_open)
    md.add_render_rule("table_close", _table_close)
    add_render_rules(md)  # callouts, code, math, equation references
    return md


def _text(self, tokens, idx, options, env) -> str:
    """Text, with GitHub's `:emoji:` shortcodes as emoji (parser.emojized); code keeps them
    as typed (code spans and blocks have their own rules). The ebook carries the emoji face
    cut down to the emoji its text uses (ebook/fonts.py)."""
    return escapeHtml(emojized(tokens[idx].content))


def _list_item_open(self, tokens, idx, options, env) -> str:
    """A task list item (`- [x] done`) gets a box drawn by the stylesheet, not a form
    control: it prints the same in every output, and needs no glyph from any font."""
    token = tokens[idx]
    html = self.renderToken(tokens, idx, options, env)
    if "checked" not in token.meta:
        return html
    done = bool(token.meta["checked"])
    state = ("task-box task-done", "done") if done else ("task-box", "not done")
    return html + f'<span class="{state[0]}" role="img" aria-label="{state[1]}"></span> '


def _table_open(self, tokens, idx, options, env) -> str:
    """Every table sits in a wrapper: it scrolls sideways on screens, and in print it carries
    the table's fit (smaller type, a landscape page), decided by markup/tables.py."""
    fit = tokens[idx].meta.get("fit")
    classes = fit.classes if fit else "table-wrap"
    return f'<div class="{classes}">\n' + self.renderToken(tokens, idx, options, env)


def _table_close(self, tokens, idx, options, env) -> str:
    return self.renderToken(tokens, idx, options, env) + "</div>\n"


def _teacher_open(self, tokens, idx, options, env) -> str:
    if tokens[idx].meta.get("callout"):  # `::: {.note .teacher}`: a callout, tagged
        return callouts.render_open(self, tokens, idx, options, env)
    return '<div class="teacher-only"><p class="teacher-label">For teachers</p>\n'


def _teacher_close(self, tokens, idx, options, env) -> str:
    if tokens[idx].meta.get("callout"):
        return callouts.render_close(self, tokens, idx, options, env)
    return "</div>\n"


def _footnote_ref(self, tokens, idx, options, env) -> str:
    ctx = env["_render"]
    ident = tokens[idx].meta["id"]
    number = ctx["numbers"][ident]
    slug = ctx["slug"]
    sub = tokens[idx].meta.get("subId", 0)
    if ctx["target"] == PRINT:
        inner = print_note(ctx["notes"].get(number - 1, ""))
        note_id = f"fn-{slug}-{number}" + (f"-{sub}" if sub else "")  # a note called twice
        return f'<span class="footnote" id="{note_id}">{inner}</span>'
    ref_id = f"fnref-{slug}-{number}" + (f"-{sub}" if sub else "")
    return (
        f'<sup><a class="noteref" role="doc-noteref" id="{ref_id}" '
        f'href="#fn-{slug}-{number}">{number}</a></sup>'
    )


# Block elements a note may hold. In print a note is a `float: footnote` span inside the
# paragraph of its call, and a block element there would end that paragraph (an HTML parser
# closes an open <p> at a <div>, <ul> or <pre>): the note's second paragraph and its code
# used to land in the body text. So each becomes a span with a class, drawn as a block by
# the stylesheet (`.footnote-block`).
NOTE_BLOCKS = {
    *("p", "div", "section", "aside", "blockquote", "pre", "figure", "figcaption", "hr"),
    *("ul", "ol", "li", "dl", "dt", "dd", "details", "summary"),
    *("h1", "h2", "h3", "h4", "h5", "h6"),
    *("table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td"),
}
COLLAPSIBLE = re.compile(r"[ \t\n\r\f]+")


def print_note(html: str) -> str:
    """A note's HTML as it goes inside its `float: footnote` span in print.

    Its blocks become spans drawn as blocks (see NOTE_BLOCKS), and its white space is
    collapsed here, outside code: WeasyPrint (v70) lifts a footnote out of the box tree
    before it collapses white space, so a note kept every line break of its source.
    """
    from lxml import etree
    from lxml import html as lxml_html

    if not html.strip():
        return ""
    holder = lxml_html.fragment_fromstring(html, create_parent="div")
    if len(holder) == 1 and holder[0].tag == "p" and not (holder.text or "").strip():
        holder = holder[0]  # one paragraph: the note is its words, with no block around them
        holder.tail = None
    for element in list(holder.iter()):
        if element is not holder and isinstance(element.tag, str):
            _collapse(element)
    if holder.tag == "p" and holder.text:
        holder.text = COLLAPSIBLE.sub(" ", holder.text)
    for element in list(holder.iter()):
        if element is not holder and element.tag in NOTE_BLOCKS:
            _trim_around(element)
            _as_span(element)
    holder.text = (holder.text or "").lstrip() or None
    if len(holder):
        holder[-1].tail = (holder[-1].tail or "").rstrip() or None
    else:
        holder.text = (holder.text or "").rstrip() or None
    inner = etree.tostring(holder, method="html", encoding="unicode")
    return inner[inner.index(">") + 1 : inner.rindex("<")]


def _in_pre(element) -> bool:
    return element.tag == "pre" or any(a.tag == "pre" for a in element.iterancestors())


def _collapse(element) -> None:
    """Collapse white space as `white-space: normal` would, leaving code blocks alone."""
    if element.text and not _in_pre(element):
        element.text = COLLAPSIBLE.sub(" ", element.text)
    parent = element.getparent()
    if element.tail and parent is not None and not _in_pre(parent):
        element.tail = COLLAPSIBLE.sub(" ", element.tail)


def _trim_around(block) -> None:
    """No space at a block's edges or between blocks: it would start or end a line."""
    if block.tag != "pre":
        if block.text:
            block.text = block.text.lstrip() or None
        if len(block):
            block[-1].tail = (block[-1].tail or "").rstrip() or None
        elif block.text:
            block.text = block.text.rstrip() or None
    if block.tail:
        block.tail = block.tail.lstrip() or None
    previous, parent = block.getprevious(), block.getparent()
    if previous is not None and previous.tail:
        previous.tail = previous.tail.rstrip() or None
    elif previous is None and parent is not None and parent.text:
        parent.text = parent.text.rstrip() or None


def _as_span(block) -> None:
    classes = f"footnote-block footnote-{block.tag} {block.get('class') or ''}".strip()
    block.tag = "span"
    block.set("class", classes)


LEAD_IN_CHARS = 160  # about two lines: "Filename: src/main.rs", "Here's why:"
INTRODUCED = ("fence", "code_block", "table_open", "bullet_list_open", "ordered_list_open")


def with_lead_ins(tokens: list[Token]) -> list[Token]:
    """A short paragraph right before code, a table or a list is marked to stay with it, so a
    caption-like lead-in is never left alone at the foot of a page. Changed tokens are
    copies (tokens are shared between outputs)."""
    out = list(tokens)
    for i in range(len(tokens) - 3):
        opening, inline, _, after = tokens[i : i + 4]
        if (
            opening.type == "paragraph_open"
            and not opening.hidden
            and after.type in INTRODUCED
            and len(inline.content) <= LEAD_IN_CHARS
        ):
            classes = " ".join(
                filter(None, [str(opening.attrGet("class") or ""), "keep-with-next"])
            )
            out[i] = opening.copy(attrs={**opening.attrs, "class": classes})
    return out


def with_placeholders(tokens: list[Token], links: ChapterLinks) -> list[Token]:
    """Each Markdown image the outputs cannot show (missing, or remote without
    --allow-network) becomes a visible box holding its description, as pandoc and Quarto
    do, so the page says what is missing instead of leaving a silent gap. Tokens are shared
    between outputs, so changed ones are copies."""
    out = []
    for token in tokens:
        children = token.children or []
        if not any(c.type == "image" for c in children):
            out.append(token)
            continue
        kept = [_placeholder(c) if _missing(c, links) else c for c in children]
        out.append(token.copy(children=kept))
    return out


def _missing(token: Token, links: ChapterLinks) -> bool:
    return token.type == "image" and links.image(str(token.attrGet("src") or "")).placeholder


def _placeholder(image: Token) -> Token:
    from markupsafe import escape

    src = str(image.attrGet("src") or "")
    shown = plain_text(image).strip() or posixpath.basename(urlsplit(src).path) or src
    ident = image.attrGet("id")  # a link to `{#fig-map}` still lands on the placeholder
    where = f' id="{escape(ident)}"' if ident else ""
    html = (
        f'<span class="image-placeholder"{where} role="img" aria-label="{escape(shown)}" '
        f'title="{escape(src)}">{escape(shown)}</span>'
    )
    return Token("html_inline", "", 0, content=html)


@lru_cache(maxsize=4096)
def inline_html(text: str) -> str:
    """Front matter strings (key points, terms) get the same typography and inline Markdown.
    Kept: the summary, the aids and each part of a parallel build render the same strings."""
    return sanitize(markdown().renderInline(text), urls=_front_matter_url)


def _front_matter_url(tag: str, attribute: str, value: str) -> str | None:
    """Front matter belongs to no chapter folder, so only web links and anchors are kept: a
    relative or `//host` link would become a `file:` link in the PDF, and images go in the
    chapter text."""
    parts = urlsplit(value)
    if tag == "img":
        return None
    if parts.scheme in WEB or (not parts.scheme and not parts.netloc and not parts.path):
        return value
    return None


def chapter_html(
    tokens: list[Token], env: dict[str, Any], *, target: str, slug: str, links: ChapterLinks
) -> tuple[str, dict[int, str]]:
    """A chapter's body for one target, and its footnotes by number - 1 (for EPUB; in print
    they are inside the body, where WeasyPrint floats them to the foot of the page).

    Every `href` and `src`, from Markdown or raw HTML, is decided by `links` as the HTML is
    sanitized, and each piece of HTML is sanitized exactly once. It speaks the chapter's
    language (figure labels, lists of sources).
    """
    with speaking(words_in(env)):
        return _chapter_html(tokens, env, target=target, slug=slug, links=links)


def _chapter_html(
    tokens: list[Token], env: dict[str, Any], *, target: str, slug: str, links: ChapterLinks
) -> tuple[str, dict[int, str]]:
    md = markdown()
    tokens, env = links.resolver.apparatus.apply(tokens, env, links.chapter, paged=target == PRINT)
    render_env = dict(env)
    body = with_lead_ins(with_placeholders(body_tokens(tokens), links))
    body = with_fits(body, links.resolver.fitter)
    referenced = {
        child.meta["id"]
        for token in body
        for child in token.children or []
        if child.type == "footnote_ref"
    }
    # Numbered in the order of their calls, counting only the notes still called: a student
    # edition that dropped a teacher's note shows 1, 2, 3, not a tell-tale gap.
    numbers = {ident: n for n, ident in enumerate(sorted(referenced), start=1)}
    render_env["_render"] = {
        **{"target": target, "slug": slug, "notes": {}, "numbers": numbers},
        "equations": links.resolver.equations,
    }
    raw = has_raw_html(tokens)
    render_env["_render"]["in_note"] = target == PRINT  # code in a print note: spans
    notes = {
        numbers[i] - 1: md.renderer.render(inner, md.options, render_env).strip()
        for i, inner in footnote_tokens(tokens, env).items()
        if i in referenced  # a note whose call was in a removed teacher block goes too
    }
    render_env["_render"]["in_note"] = False
    if target == PRINT:
        render_env["_render"]["notes"] = notes
        html = md.renderer.render(body, md.options, render_env)
        return _finished(sanitize(html, raw, links.url), render_env), {}
    html = md.renderer.render(body, md.options, render_env)
    clean = {i: _finished(sanitize(note, raw, links.url), render_env) for i, note in notes.items()}
    return _finished(sanitize(html, raw, links.url), render_env), clean


def _finished(html: str, env: dict[str, Any]) -> str:
    """Sanitized HTML with placeholders shown and our own drawings (icons, math, code) put
    back where the sanitizer let their markers through (markup/trusted.py)."""
    return trusted.fill(_shown(html), env)


IMG = re.compile(r'<img((?:\s+[\w:-]+(?:="[^"]*")?)*)\s*/?>')  # as nh3 writes it: "-quoted
ATTRIBUTE = re.compile(r'([\w:-]+)(?:="([^"]*)")?')


def _shown(html: str) -> str:
    """A raw-HTML `<img>` whose source the resolver dropped (missing, remote) becomes the
    same placeholder box as a Markdown image (an `<img>` without `src` is invalid XHTML)."""

    def box(found: re.Match) -> str:
        attributes = dict(ATTRIBUTE.findall(found.group(1)))
        if "src" in attributes:
            return found.group()
        shown = attributes.get("alt") or "image"
        return f'<span class="image-placeholder" role="img" aria-label="{shown}">{shown}</span>'

    return IMG.sub(box, html)
