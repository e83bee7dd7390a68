"""The scholarly apparatus of a book: numbered figures, tables and sections with their
cross-references (crossrefs.py) and cited sources (bibliography.py).

Both need the whole book before any chapter is rendered (a number counts the figures before
it; a note is shortened after a source's first citation), so the resolver holds one
Apparatus per book and every renderer and `check` ask it: the builds and `check` agree.
"""

from __future__ import annotations

import re
from functools import cached_property
from html import unescape
from typing import TYPE_CHECKING, Any

from markdown_it.token import Token

from build_report.errors import Diagnostic
from build_report.markup import aidsources, backmatter, crossrefs
from build_report.project.model import Book, Chapter

# The headings of the sections the apparatus adds (sources, glossary, index), for the EPUB nav
ADDED_HEADING = re.compile(
    r'<section class="([^"]*)"[^>]*>\s*'
    r'<h2 class="(?:sources-title|back-matter-title)" id="([^"]+)">([^<]+)</h2>'
)

if TYPE_CHECKING:
    from build_report.markup.bibliography import Sources


class Apparatus:
    """What the book's chapters number and cite, computed once, on first use."""

    def __init__(self, book: Book) -> None:
        self.book = book
        self.back_matter = True  # the handout has its own key terms, and no glossary
        # chapter -> the sections it gained: (id, title, whether it is back matter)
        self.added: dict[str, list[tuple[str, str, bool]]] = {}

    @cached_property
    def targets(self) -> crossrefs.Targets:
        return crossrefs.book_targets(self.book)

    @cached_property
    def sources(self) -> Sources | None:
        """The cited sources, or None when the book has no [references] and cites nothing."""
        from build_report.markup.bibliography import load_sources

        return load_sources(self.book)

    def apply(
        self, tokens: list[Token], env: dict[str, Any], chapter: Chapter, *, paged: bool
    ) -> tuple[list[Token], dict[str, Any]]:
        """A chapter's tokens for one output, with numbers, references and citations written
        out (`paged`: print, where references carry pages and notes float to the foot)."""
        # first: the text as `check` and the templates read it
        keys = aidsources.quote_keys(self.book).get(chapter.slug, ())
        tokens = aidsources.with_anchors(tokens, chapter, keys)
        tokens = crossrefs.apply(tokens, chapter, self.targets, paged=paged)
        tokens = backmatter.with_marks(tokens, chapter)
        if self.sources is not None:
            tokens, env = self.sources.apply(tokens, env, chapter)
        if self.book.chapters and chapter.slug == self.book.chapters[-1].slug:
            tokens = _before_notes(tokens, self._back_matter(paged))
        self.added[chapter.slug] = [
            (ident, unescape(title), "back-matter" in classes.split())
            for t in tokens
            if t.type == "html_block"
            for classes, ident, title in ADDED_HEADING.findall(t.content)
        ]
        return tokens, env

    def _back_matter(self, paged: bool) -> str:
        settings = self.book.config.back_matter
        parts = []
        if settings.glossary and self.back_matter:
            parts.append(backmatter.glossary_html(self.book))
        if settings.index:
            parts.append(backmatter.index_html(self.book, paged))
        return "".join(parts)

    def findings(self, unused: bool = False) -> list[Diagnostic]:
        """Unknown references and keys, malformed sources: what `check` and the builds
        report. `unused`: also the entries nobody cites, which only `check` reports (it reads
        every edition's text: a student build does not see an entry cited for teachers)."""
        found = crossrefs.findings(self.book, self.targets) + aidsources.findings(self.book)
        if self.sources is not None:
            found += self.sources.findings(unused)
        return found


def extra_ids(chapter: Chapter, book: Book | None = None) -> list[str]:
    """Ids the apparatus adds to a chapter (captioned tables, index marks), so links to
    them resolve, in `check` as in the builds."""
    return [
        *crossrefs.extra_ids(chapter),
        *(m.ident for m in backmatter.marks(chapter)),
        *aidsources.ids(chapter, book),
    ]


def _before_notes(tokens: list[Token], html: str) -> list[Token]:
    """`html` at the end of the chapter's text, before the footnote block."""
    if not html:
        return tokens
    from build_report.markup.parser import body_tokens

    body = body_tokens(tokens)
    return [*body, Token("html_block", "", 0, content=html), *tokens[len(body) :]]


def prints_pages(book: Book) -> bool:
    """Whether the print book shows the pages of its own targets (`Figure 1 (p. 5)`, the
    index, the lists of figures and tables, the back matter in the contents): target-counter
    needs the whole book laid out at once, so such a book is laid out in one process
    (pdf/writer.py), not in parts."""
    settings = book.config.numbering
    lists = settings.list_of_figures or settings.list_of_tables
    back = book.config.back_matter
    sources = load_sources_if_listed(book)
    return (
        lists
        or sources
        or any(True for chapter in book.chapters for _ in crossrefs.references(chapter))
        or (back.index and any(backmatter.marks(c) for c in book.chapters))
        or (back.glossary and any(c.key_terms for c in book.chapters))
    )


def load_sources_if_listed(book: Book) -> bool:
    """Whether the book ends with a list of sources (an entry in its contents)."""
    if book.config.references.sources != "book":
        return False
    from build_report.markup.bibliography import is_citation, walk

    return any(is_citation(c.token) for c in walk(book.chapters))
