"""Citations of sources (`[@smith2020, p. 4]`) formatted by a CSL style through citeproc-py,
and the list of sources for the book or for each chapter.

With a note style (Chicago notes and bibliography, the default) each citation becomes a
footnote, full at a source's first citation in the book and shortened after: the notes are
added to the chapter's footnotes, so print floats them to the foot of the page and the EPUB
numbers them with the author's own notes. With an author-date style (APA, Chicago
author-date) the citation stays in the text.

The whole book's citations are formatted once, in reading order (positions such as "first"
and "subsequent" depend on it); `check` reports what this module finds.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

from build_report.errors import BuildError, Diagnostic, key_line
from build_report.markup.crossrefs import prefix_of
from build_report.project.languages import spoken
from build_report.project.model import Book, Chapter
from build_report.references.read import Entries, read_file

# Each generated word's key in the language catalogues (project/labels/*.toml).
STYLES = Path(__file__).resolve().parent.parent / "references" / "styles"
SHIPPED = {
    "chicago-notes-bibliography": "chicago-notes-bibliography.csl",
    "chicago-note-bibliography": "chicago-notes-bibliography.csl",  # CSL's older name
    "chicago-author-date": "chicago-author-date.csl",
    "apa": "apa.csl",
}
UNKNOWN_KIND = "citations of keys that are not in the bibliography"


@dataclass(frozen=True)
class Cite:
    """One citation in the book, in reading order."""

    chapter: Chapter
    token: Token
    line: int | None
    in_note: bool  # inside an author's footnote: never a note of its own


def is_citation(token: Token) -> bool:
    """A `citation` token that cites sources (not `@fig-x` cross-references)."""
    return token.type == "citation" and not any(prefix_of(item.key) for item in token.meta["items"])


def load_sources(book: Book) -> Sources | None:
    """The book's sources, or None when it has no bibliography and cites nothing."""
    if book.config.references.bibliography or any(
        is_citation(c.token) and not c.token.meta["narrative"] for c in walk(book.chapters)
    ):
        return Sources(book)
    return None


def walk(chapters: tuple[Chapter, ...]) -> Iterator[Cite]:
    """Every citation token in reading order: a note's citations where the note is called."""
    from build_report.markup.parser import body_tokens, footnote_tokens

    for chapter in chapters:
        notes = footnote_tokens(list(chapter.tokens), chapter.env)
        yield from _inside(chapter, body_tokens(list(chapter.tokens)), notes, set(), False, None)


def _inside(
    chapter: Chapter,
    tokens: list[Token],
    notes: dict[int, list[Token]],
    seen: set[int],
    in_note: bool,
    line: int | None,
) -> Iterator[Cite]:
    for token in tokens:
        here = chapter.body_line + token.map[0] if token.map else line
        for child in token.children or []:
            if child.type == "citation" and is_citation(child):
                yield Cite(chapter, child, here, in_note)
            elif child.type == "footnote_ref" and child.meta["id"] not in seen:
                seen.add(child.meta["id"])
                note = notes.get(child.meta["id"], [])
                yield from _inside(chapter, note, notes, seen, True, here)


class Sources:
    """The bibliography files, the style, and every citation of the book, formatted."""

    def __init__(self, book: Book) -> None:
        self.book = book
        self.settings = book.config.references
        self.entries = Entries()
        self.problems: list[Diagnostic] = []
        self.config_text = book.config.path.read_text(encoding="utf-8")
        for name in self.settings.bibliography:
            path = self._inside(name, "bibliography")
            if path is not None:
                read_file(path, name, self.entries)
        self.style_path = self._style()
        # the selected chapters only: a handout's first citation of a source is given in full
        self.cites = list(walk(book.chapters))

    # --- reading -------------------------------------------------------------------------

    def _problem(self, key: str, message: str) -> None:
        line = key_line(self.config_text, key, "references") or key_line(
            self.config_text, "references"
        )
        self.problems.append(
            Diagnostic("report.toml", line, None, "error", message, kind="bibliography settings")
        )

    def _inside(self, name: str, key: str) -> Path | None:
        """A file named in [references], if it lies inside the project and exists: nothing
        outside the project is ever read."""
        root = self.book.root.resolve()
        try:
            path = (root / name).resolve()
            inside = root in path.parents and ".git" not in path.relative_to(root).parts
        except (OSError, RuntimeError, ValueError):
            inside = False
        if not inside:
            self._problem(key, f"{key} '{name}' leads outside the project folder")
            return None
        if not path.is_file():
            self._problem(key, f"{key} '{name}': no such file")
            return None
        return path

    def _style(self) -> Path | None:
        style = self.settings.style
        if style in SHIPPED:
            return STYLES / SHIPPED[style]
        if not style.endswith(".csl"):
            known = ", ".join(k for k in SHIPPED if k != "chicago-note-bibliography")
            self._problem("style", f"unknown style '{style}'; use {known} or a .csl file")
            return None
        path = self._inside(style, "style")
        if path is None:
            return None
        data = path.read_bytes()
        if re.search(rb"<!(DOCTYPE|ENTITY)", data):  # entities could read other files
            self._problem("style", f"style '{style}' declares a DTD or entities, refused")
            return None
        from lxml import etree

        try:
            root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError as exc:
            self._problem("style", f"style '{style}' is not well-formed XML: {exc}")
            return None
        if root.tag != "{http://purl.org/net/xbiblio/csl}style":
            self._problem("style", f"style '{style}' is not a CSL style (no <style> root)")
            return None
        return path

    @cached_property
    def is_note_style(self) -> bool:
        from lxml import etree

        if self.style_path is None:
            return False
        root = etree.parse(str(self.style_path), etree.XMLParser(resolve_entities=False))
        return root.getroot().get("class") == "note"

    # --- checking ------------------------------------------------------------------------

    def known(self, key: str) -> bool:
        return key.lower() in self.entries.items

    def findings(self, unused: bool = True) -> list[Diagnostic]:
        found = self.problems + self.entries.problems
        if not self.settings.bibliography:
            for cite in self.cites:
                if not cite.token.meta["narrative"]:
                    found.append(
                        Diagnostic(
                            cite.chapter.source,
                            cite.line,
                            None,
                            "warning",
                            f"{cite.token.content} cites a source, but report.toml has no "
                            "[references] bibliography; it is printed as written",
                            kind="citations without a bibliography",
                        )
                    )
            return found
        used: set[str] = set()
        keys = list(self.entries.items)
        for cite in self.cites:
            for item in cite.token.meta["items"]:
                if self.known(item.key):
                    used.add(item.key.lower())
                elif not cite.token.meta["narrative"]:
                    found.append(
                        Diagnostic(
                            cite.chapter.source,
                            cite.line,
                            None,
                            "error",
                            f"citation of '{item.key}': no such entry in the bibliography",
                            kind=UNKNOWN_KIND,
                        )
                    )
                elif close := difflib.get_close_matches(item.key.lower(), keys, 1, 0.8):
                    # `@smtih2020` reads as a word (a handle, a name) unless it is a key, so
                    # only a near miss of a key is worth saying
                    found.append(
                        Diagnostic(
                            cite.chapter.source,
                            cite.line,
                            None,
                            "warning",
                            f"@{item.key} is not in the bibliography and is printed as written;"
                            f" did you mean @{self.entries.items[close[0]]['id']}?",
                            kind=UNKNOWN_KIND,
                        )
                    )
        for key, (shown, line) in self.entries.where.items() if unused else ():
            if key not in used:
                found.append(
                    Diagnostic(
                        shown,
                        line,
                        None,
                        "warning",
                        f"entry '{self.entries.items[key]['id']}' is never cited",
                        kind="bibliography entries never cited",
                    )
                )
        return found

    def cites_source(self, cite: Cite) -> bool:
        """A citation the style formats: every key known (a narrative `@word` that is no
        key is plain text: a handle, a name)."""
        return self.style_path is not None and all(
            self.known(item.key) for item in cite.token.meta["items"]
        )

    # --- formatting ----------------------------------------------------------------------

    @cached_property
    def _engine(self):
        """citeproc-py's style and source (imported only when a book cites something)."""
        from citeproc import CitationStylesStyle
        from citeproc.source.json import CiteProcJSON

        _never_initialize_when_told()
        try:
            style = CitationStylesStyle(
                str(self.style_path), locale=_locale(self.book), validate=False
            )
            return style, CiteProcJSON(list(self.entries.items.values()))
        except Exception as exc:  # noqa: BLE001 - a style citeproc-py cannot read
            raise self._cannot(exc) from None

    def _citation(self, cite: Cite):
        from citeproc import Citation, CitationItem, Locator

        items = []
        for item in cite.token.meta["items"]:
            extra: dict[str, Any] = {}
            if item.locator:
                extra["locator"] = Locator(item.locator_label or "page", item.locator)
            if item.prefix:
                extra["prefix"] = item.prefix + " "
            if item.suffix:
                extra["suffix"] = (" " if item.locator else ", ") + item.suffix
            items.append(CitationItem(item.key, **extra))
        return Citation(items)

    @cached_property
    def formatted(self) -> dict[int, str]:
        """id(citation token) -> its HTML (a note's text with note styles), in reading order."""
        from citeproc import CitationStylesBibliography, formatter

        chosen = [c for c in self.cites if self.cites_source(c)]
        if not chosen:
            return {}
        style, source = self._engine
        bibliography = CitationStylesBibliography(style, source, formatter.html)
        citations = [self._citation(c) for c in chosen]
        out = {}
        try:
            for citation in citations:
                bibliography.register(citation)
            for cite, citation in zip(chosen, citations, strict=True):
                text = bibliography.cite(citation, lambda item: None)
                out[id(cite.token)] = self._quotes(str(text))
        except Exception as exc:  # noqa: BLE001 - a style citeproc-py cannot run
            raise self._cannot(exc) from None
        return out

    def _cannot(self, exc: Exception) -> BuildError:
        return BuildError(
            "report.toml",
            f"the citation style '{self.settings.style}' cannot be applied: {exc}",
            "use one of the shipped styles or another .csl file",
            key_line(self.config_text, "style", "references"),
        )

    def sources_html(self, cites: list[Cite], ident: str, back: bool = False) -> str:
        """The list of the sources `cites` cite, sorted and formatted by the style."""
        from citeproc import CitationStylesBibliography, formatter

        cites = [c for c in cites if self.cites_source(c)]
        if not cites:
            return ""
        style, source = self._engine
        bibliography = CitationStylesBibliography(style, source, formatter.html)
        try:
            for cite in cites:
                bibliography.register(self._citation(cite))
            bibliography.sort()
            items = [str(item) for item in bibliography.bibliography()]
        except Exception as exc:  # noqa: BLE001 - a style citeproc-py cannot run
            raise self._cannot(exc) from None
        entries = "".join(f'<li class="source">{self._quotes(item)}</li>\n' for item in items)
        return (
            f'<section class="sources{" back-matter" if back else ""}" role="doc-bibliography">\n'
            f'<h2 class="sources-title" id="{ident}">{escapeHtml(spoken()("sources"))}</h2>\n'
            f'<ul class="sources-list">\n{entries}</ul>\n</section>\n'
        )

    def _quotes(self, html: str) -> str:
        """American English puts a comma or period inside the closing quote (CSL's
        punctuation-in-quote, which citeproc-py 0.11 does not apply)."""
        if _locale(self.book) != "en-US":
            return html
        return re.sub(r"”([.,])", r"\1”", html)

    # --- rewriting a chapter -------------------------------------------------------------

    def apply(
        self, tokens: list[Token], env: dict[str, Any], chapter: Chapter
    ) -> tuple[list[Token], dict[str, Any]]:
        """Citations written out; with a note style, notes added to the chapter's footnotes
        (numbered in the order of their calls, with the author's); the list of sources at
        the end of the chapter (per chapter) or of the book's last chapter."""
        from build_report.markup.parser import body_tokens

        body = body_tokens(tokens)
        rest = tokens[len(body) :]
        footnotes = dict(env.get("footnotes", {}))
        notes = dict(footnotes.get("list", {}))
        highest = -1.0
        count = 0

        def note_call(html: str) -> Token:
            nonlocal count
            count += 1
            ident = highest + count / 10_000  # sorts between the author's calls around it
            html = html[:1].upper() + html[1:]  # a note is a sentence: "See Smith, ..."
            notes[ident] = {"content": html, "tokens": [Token("html_inline", "", 0, content=html)]}
            meta = {"id": ident, "subId": 0, "label": "", "citation": True}
            return Token("footnote_ref", "", 0, meta=meta)

        def rewrite(token: Token, in_note: bool) -> Token:
            nonlocal highest, count
            children = token.children or []
            if not any(c.type in ("citation", "footnote_ref") for c in children):
                return token
            kept: list[Token] = []
            for child in children:
                if child.type == "footnote_ref":
                    if child.meta["id"] > highest:
                        highest, count = float(child.meta["id"]), 0
                    kept.append(child)
                elif child.type == "citation" and is_citation(child):
                    kept += self._written(child, in_note, note_call)
                else:
                    kept.append(child)
            return token.copy(children=_punctuated(kept))

        body = [rewrite(t, False) for t in body]
        rest = [rewrite(t, True) for t in rest]
        for ident, note in list(notes.items()):
            if "tokens" in note and isinstance(ident, int):
                inline = Token("inline", "", 0, children=note["tokens"])
                notes[ident] = {**note, "tokens": rewrite(inline, True).children}
        body += self._sources_block(chapter)
        footnotes["list"] = notes
        return body + rest, {**env, "footnotes": footnotes}

    def _written(self, citation: Token, in_note: bool, note_call) -> list[Token]:
        html = self.formatted.get(id(citation))
        narrative = citation.meta["narrative"]
        if html is None:  # an unknown key (check reports it) or a plain `@word`
            return [Token("text", "", 0, content=citation.content)]
        names = escapeHtml(self._names(citation.meta["items"][0].key)) if narrative else ""
        if self.is_note_style:
            if in_note:
                return [Token("html_inline", "", 0, content=_in_text(names, html))]
            lead = [Token("text", "", 0, content=names)] if names else []
            return [*lead, note_call(html)]
        item = citation.meta["items"][0]
        if narrative or item.suppress_author:
            html = _without_author(html, self._year(item.key))
        shown = f"{names} {html}" if names else html
        return [Token("html_inline", "", 0, content=f'<span class="citation">{shown}</span>')]

    def _names(self, key: str) -> str:
        """The authors as a sentence names them: "Smith and Doe", "Smith et al.", "NATO"."""
        entry = self.entries.items.get(key.lower(), {})
        people = entry.get("author") or entry.get("editor") or []
        names = [p.get("family") or p.get("literal") or "" for p in people]
        if not names:
            return str(entry.get("title", key))
        if len(names) > 2:
            return f"{names[0]} {spoken()('et_al')}"
        return f" {spoken()('and')} ".join(names)

    def _year(self, key: str) -> str:
        parts = self.entries.items.get(key.lower(), {}).get("issued", {}).get("date-parts", [[]])
        return str(parts[0][0]) if parts and parts[0] else ""

    def _sources_block(self, chapter: Chapter) -> list[Token]:
        scope = self.settings.sources
        shown = {c.slug for c in self.book.chapters}
        if scope == "chapter":
            cites = [c for c in self.cites if c.chapter.slug == chapter.slug]
        elif scope == "book" and self.book.chapters and chapter.slug == self.book.chapters[-1].slug:
            cites = [c for c in self.cites if c.chapter.slug in shown]
        else:
            return []
        html = self.sources_html(cites, f"{chapter.slug}--sources", scope == "book")
        return [Token("html_block", "", 0, content=html)] if html else []


PUNCTUATION = ".,;:!?"
SEPARATOR = '<sup class="note-separator">,</sup>'


def _punctuated(children: list[Token]) -> list[Token]:
    """Chicago's (and pandoc's) placing of a citation's note: after the punctuation that
    follows it, with no space before it ("as argued.³", not "as argued ³."); and no doubled
    period where a citation inside a note ends the note's sentence."""
    items = list(children)
    out: list[Token] = []
    for i, child in enumerate(items):
        after = items[i + 1] if i + 1 < len(items) else None
        follows = after is not None and after.type == "text"
        if child.type == "footnote_ref" and child.meta.get("citation"):
            if out and out[-1].type == "text":
                out[-1] = out[-1].copy(content=out[-1].content.rstrip())
            if follows and after.content[:1] in PUNCTUATION:
                # the mark and the call stay on one line (the engine would break between)
                out.append(Token("html_inline", "", 0, content='<span class="note-call">'))
                out.append(Token("text", "", 0, content=after.content[0]))
                out.append(child)
                out.append(Token("html_inline", "", 0, content="</span>"))
                items[i + 1] = after.copy(content=after.content[1:])
                continue
        elif (
            child.type == "html_inline"
            and child.content.endswith(".")
            and follows
            and after.content.startswith(".")
        ):
            items[i + 1] = after.copy(content=after.content[1:])
        out.append(child)
    return _separated(out)


def _separated(children: list[Token]) -> list[Token]:
    """Two note calls side by side (a citation's and the author's) read "4,5", not "45"."""
    out: list[Token] = []
    previous = None
    for child in children:
        if child.type == "text" and not child.content:
            continue
        if child.type == "html_inline" and child.content == "</span>":  # a .note-call's end
            out.append(child)
            continue
        if (
            child.type == "footnote_ref"
            and previous is not None
            and previous.type == "footnote_ref"
        ):
            out.append(Token("html_inline", "", 0, content=SEPARATOR))
        out.append(child)
        previous = child
    return out


def _in_text(names: str, html: str) -> str:
    return f"{names} ({html})" if names else html


def _without_author(html: str, year: str) -> str:
    """ "(Smith &amp; Doe, 2020, p. 4)" -> "(2020, p. 4)": the author is named in the text
    (citeproc-py has no suppress-author)."""
    at = html.find(year) if year else -1
    if at <= 0:
        return html
    opening = html[0] if html[0] in "([" else ""
    return opening + html[at:]


def _locale(book: Book) -> str:
    """CSL's locale for the book's language: `fi` -> fi-FI; en-US when it has none."""
    import citeproc

    folder = Path(citeproc.__file__).parent / "data" / "locales"
    language = book.config.report.language or "en"
    names = sorted(p.stem.removeprefix("locales-") for p in folder.glob("locales-*.xml"))
    base = language.split("-")[0].lower()
    preferred = "en-US" if base == "en" else f"{base}-{base.upper()}"
    others = [n for n in names if n.split("-")[0] == base]
    for name in (language, preferred, *others):
        if name in names:
            return name
    return "en-US"


def _never_initialize_when_told() -> None:
    """citeproc-py 0.11 ignores CSL's `initialize="false"` on a name (Chicago writes "Jane
    Smith", never "J. Smith", in its notes and bibliography): honour it, once. Relies on
    `citeproc.model.Name.initialize(given, mark, context)`."""
    from citeproc import model

    original = model.Name.initialize
    if getattr(original, "honours_initialize_false", False):
        return

    def initialize(self, given, mark, context):
        if self.get("initialize") == "false":
            return given
        return original(self, given, mark, context)

    initialize.honours_initialize_false = True  # type: ignore[attr-defined]
    model.Name.initialize = initialize
