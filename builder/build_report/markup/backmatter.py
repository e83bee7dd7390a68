"""The back of the book: a glossary made from the chapters' key terms, and an index of the
terms marked in the text with `[Helsinki]{.index}` (or `[the capital]{.index term="Helsinki"}`).

Each marked term gets an id where it stands; the index links to those ids, and in print the
stylesheet writes the page of each (target-counter), so the index's numbers are the pages
where the terms are printed. In the EPUB, which has no pages, each link reads the number of
the chapter that holds the term.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

from build_report.markup.slugs import slugify
from build_report.project.languages import spoken
from build_report.project.model import Book, Chapter, KeyTerm

INDEX_CLASS = "index"


@dataclass(frozen=True)
class Mark:
    """One marked term in the text: the span that holds it, its id, its index entry."""

    token: Token  # the span_open
    ident: str
    term: str
    chapter: Chapter


def marks(chapter: Chapter) -> list[Mark]:
    """The chapter's `{.index}` spans in reading order, with book-unique ids."""
    found: list[Mark] = []
    for token in chapter.tokens:
        children = token.children or []
        for i, child in enumerate(children):
            if child.type != "span_open":
                continue
            if INDEX_CLASS not in str(child.attrGet("class") or "").split():
                continue
            term = str(child.attrGet("term") or "") or _words(children, i)
            if term:
                ident = f"idx-{chapter.slug}-{len(found) + 1}"
                found.append(Mark(child, ident, " ".join(term.split()), chapter))
    return found


def _words(children: list[Token], start: int) -> str:
    depth, words = 0, []
    for child in children[start:]:
        if child.type == "span_open":
            depth += 1
        elif child.type == "span_close":
            depth -= 1
            if depth == 0:
                break
        elif child.type in ("text", "code_inline"):
            words.append(child.content)
    return "".join(words)


def with_marks(tokens: list[Token], chapter: Chapter) -> list[Token]:
    """The chapter's tokens with an id on each marked term (copies: tokens are shared)."""
    idents = {id(mark.token): mark.ident for mark in marks(chapter)}
    if not idents:
        return tokens
    out = []
    for token in tokens:
        children = token.children or []
        if not any(id(c) in idents for c in children):
            out.append(token)
            continue
        kept = []
        for child in children:
            if id(child) in idents:
                attrs = {k: v for k, v in child.attrs.items() if k != "term"}
                child = child.copy(attrs={**attrs, "id": idents[id(child)]})
            kept.append(child)
        out.append(token.copy(children=kept))
    return out


def _key(term: str) -> tuple[str, str]:
    return (term.casefold(), term)


def glossary_html(book: Book) -> str:
    """Every chapter's key terms, once each, in alphabetical order; a term with a `source:`
    links to its passage, written as a link to the chapter's Markdown file
    (`02-genesis.md#src-...`), which the resolver makes right for each output, as it does
    for the author's own links."""
    terms: dict[str, KeyTerm] = {}
    for chapter in book.chapters:
        for item in chapter.key_terms:
            terms.setdefault(item.term.casefold(), item)
    if not terms:
        return ""
    from build_report.markup.aidsources import AidLinks, link_html
    from build_report.markup.renderer import inline_html

    links = AidLinks(book, {c.slug: posixpath.basename(c.source) for c in book.chapters})
    rows = "".join(
        f'<dt id="glossary-{slugify(item.term, "term")}">{escapeHtml(item.term)}</dt>'
        f"<dd>{inline_html(item.definition)}{link_html(links(item), spoken())}</dd>\n"
        for item in sorted(terms.values(), key=lambda t: _key(t.term))
    )
    title = escapeHtml(spoken()("glossary"))
    return (
        '<section class="glossary back-matter" role="doc-glossary">\n'
        f'<h2 class="back-matter-title" id="back-glossary">{title}</h2>\n'
        f'<dl class="glossary-list">\n{rows}</dl>\n</section>\n'
    )


def index_html(book: Book, paged: bool) -> str:
    """The index: each term, then where it is (pages in print, chapters in the EPUB)."""
    entries: dict[str, list[Mark]] = {}
    for chapter in book.chapters:
        for mark in marks(chapter):
            entries.setdefault(mark.term, []).append(mark)
    if not entries:
        return ""
    rows = []
    for term in sorted(entries, key=_key):
        places = entries[term]
        if paged:
            links = ", ".join(f'<a class="index-page" href="#{m.ident}"></a>' for m in places)
        else:
            first = {m.chapter.slug: m for m in reversed(places)}  # one link per chapter
            ordered = sorted(first.values(), key=lambda m: m.chapter.number)
            links = ", ".join(
                f'<a class="index-place" href="#{m.ident}">{m.chapter.number}</a>' for m in ordered
            )
        rows.append(f'<li><span class="index-term">{escapeHtml(term)}</span> {links}</li>\n')
    return (
        '<section class="book-index back-matter" role="doc-index">\n'
        f'<h2 class="back-matter-title" id="back-index">{escapeHtml(spoken()("index"))}</h2>\n'
        f'<ul class="index-list">\n{"".join(rows)}</ul>\n</section>\n'
    )
