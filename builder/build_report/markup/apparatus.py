"""The scholarly apparatus of a book: numbered figures, tables and sections with their
cross-references (crossrefs.py) and cited sources (bibliography.py).

Both need the whole book before any chapter is rendered (a number counts the figures before
it; a note is shortened after a source's first citation), so the resolver holds one
Apparatus per book and every renderer and `check` ask it: the builds and `check` agree.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from markdown_it.token import Token

from build_report.errors import Diagnostic
from build_report.markup import crossrefs
from build_report.project.model import Book, Chapter

if TYPE_CHECKING:
    from build_report.markup.bibliography import Sources


class Apparatus:
    """What the book's chapters number and cite, computed once, on first use."""

    def __init__(self, book: Book) -> None:
        self.book = book

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
        tokens = crossrefs.apply(tokens, chapter, self.targets, paged=paged)
        if self.sources is not None:
            tokens, env = self.sources.apply(tokens, env, chapter)
        return tokens, env

    def findings(self) -> list[Diagnostic]:
        """Unknown references and keys, unused and malformed sources: what `check` and the
        builds report."""
        found = crossrefs.findings(self.book, self.targets)
        if self.sources is not None:
            found += self.sources.findings()
        return found
