"""The one resolver of links, anchors and images: what a chapter's `href` or `src` becomes in
each output, or why it cannot be kept.

`check` asks it about every reference it finds (with its line), and the renderers ask it about
every `href` and `src` as they sanitize a chapter's HTML, Markdown and raw HTML alike
(sanitize.py), so the two can never disagree. A link that cannot exist in the outputs (a
missing anchor, a file that is not a chapter) keeps its text and loses its target; an image
is looked for beside the chapter that shows it, as GitHub and every Markdown previewer do.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from urllib.parse import unquote, urljoin, urlsplit

from build_report.errors import Diagnostic
from build_report.markup.apparatus import Apparatus, extra_ids
from build_report.markup.equations import equation_numbers
from build_report.markup.parser import plain_text
from build_report.markup.references import Reference, chapter_references, css_references
from build_report.markup.rich import rich_findings
from build_report.markup.slugs import heading_slug, pandoc_slug, slugify
from build_report.markup.tables import table_findings
from build_report.project.model import Book, Chapter

CHAPTERS_DIR = "chapters"
WEB = ("http", "https", "mailto")


@dataclass(frozen=True)
class Resolved:
    """What a reference becomes: `url` in the documents (None: dropped), and, when something
    is wrong, a message at `level` ("warning" or "error")."""

    url: str | None
    level: str = ""
    message: str = ""
    kind: str = ""  # what findings of the same sort share, for grouped reports
    placeholder: bool = False  # an image the outputs show as a placeholder box

    def diagnostic(self, source: str, line: int | None) -> Diagnostic:
        return Diagnostic(source, line, None, self.level, self.message, kind=self.kind)


def image_path(chapter: Chapter, src: str) -> str:
    """A chapter's relative image source as a project-relative path (may start with ../)."""
    folder = posixpath.dirname(chapter.source) or CHAPTERS_DIR
    return posixpath.normpath(posixpath.join(folder, unquote(urlsplit(src).path)))


def _ids(chapter: Chapter, book: Book | None = None) -> dict[str, str]:
    """Every name a link in this chapter may use -> the id it has in the documents (`book`:
    with the anchors other chapters' aids give it)."""
    found: dict[str, str] = {chapter.anchor: chapter.anchor}
    found[heading_slug(chapter.title) or chapter.anchor] = chapter.anchor  # the title's heading
    prefix = f"{chapter.slug}--"
    tokens = chapter.tokens
    for i, token in enumerate(tokens):
        ident = token.attrGet("id")
        if token.type == "heading_open" and ident:
            found.setdefault(str(ident).removeprefix(prefix), str(ident))
            found[str(ident)] = str(ident)
            text = plain_text(tokens[i + 1])  # the names other tools give it, as aliases
            for alias in (pandoc_slug(text), slugify(text, "")):
                if alias:
                    found.setdefault(alias, str(ident))
        elif ident:
            found.setdefault(str(ident), str(ident))
        for child in token.children or []:  # `![Map](m.png){#fig-map}`, `[x]{#term}`
            if child.attrGet("id"):
                found.setdefault(str(child.attrGet("id")), str(child.attrGet("id")))
    for ident in chapter.env.get("footnotes", {}).get("list", {}):
        name = f"fn-{chapter.slug}-{ident + 1}"  # our own note calls (EPUB)
        found[name] = name
    for ref in chapter_references(chapter):
        if ref.kind == "id":
            found.setdefault(ref.target, ref.target)
    for ident in extra_ids(chapter, book):  # a captioned table's `{#tbl-x}`, index marks
        found.setdefault(ident, ident)
    return found


class Resolver:
    """The book's chapters, their files in the target, and the ids each of them holds."""

    def __init__(self, book: Book, files: dict[str, str] | None = None) -> None:
        """`files`: chapter slug -> its document in the EPUB; None for the one print document."""
        self.root = book.root
        self.files = files
        self.allow_network = book.allow_network
        self.paper = book.config.build.paper  # for the tables' fit (markup/tables.py)
        self.by_name = {posixpath.basename(ch.source): ch for ch in book.chapters}
        self.chapters = book.chapters
        self.ids = {ch.slug: _ids(ch, book) for ch in book.chapters}
        self.equations = equation_numbers(book.chapters)  # id -> number, in book order
        self.apparatus = Apparatus(book)  # numbers, cross-references, citations
        self._fitter = None

    @property
    def fitter(self):
        """The tables' fitter for this book (markup/tables.py), made once: it reads the
        project's font files, and every chapter has tables to fit."""
        if self._fitter is None:
            from build_report.markup.tables import Fitter

            self._fitter = Fitter(self.root, self.paper)
        return self._fitter

    def chapter(self, chapter: Chapter) -> ChapterLinks:
        return ChapterLinks(self, chapter)

    def _anchor(self, chapter: Chapter, name: str) -> str | None:
        ids = self.ids.get(chapter.slug) or _ids(chapter)
        return ids.get(name) or ids.get(heading_slug(name)) or ids.get(slugify(name, "section"))

    def _elsewhere(self, here: Chapter, name: str) -> tuple[Chapter, str] | None:
        """The one other chapter that holds `#name`: a document split into chapters (one
        README, one long page) keeps its in-page links. Ambiguous names stay unresolved."""
        found = [
            (chapter, ident)
            for chapter in self.chapters
            if chapter.slug != here.slug and (ident := self._anchor(chapter, name)) is not None
        ]
        return found[0] if len(found) == 1 else None

    def _to(self, chapter: Chapter, ident: str, here: Chapter) -> str:
        if self.files is None or chapter.slug == here.slug:
            return f"#{ident}"
        return f"{self.files[chapter.slug]}#{ident}"

    def link(self, here: Chapter, href: str) -> Resolved:
        parts = urlsplit(href)
        if not href or parts.scheme in WEB or href.startswith("data:"):
            return Resolved(href)
        if parts.scheme or parts.netloc:
            return Resolved(
                None,
                "error",
                f"{href}: the {parts.scheme}: scheme is not allowed",
                "links with a scheme that is not allowed",
            )
        path = unquote(parts.path)
        if not path:
            name = unquote(parts.fragment)
            found = self._anchor(here, name)
            if found is not None:
                return Resolved(self._to(here, found, here))
            elsewhere = self._elsewhere(here, name)
            if elsewhere is not None:
                return Resolved(self._to(elsewhere[0], elsewhere[1], here))
            return Resolved(
                None,
                "warning",
                f"link to #{parts.fragment}: no such anchor in this chapter or the book",
                "links to anchors that do not exist",
            )
        name = posixpath.basename(path)
        other = self.by_name.get(name) if path.endswith(".md") else None
        if other is None:
            if path.endswith(".md"):
                message = f"link to {href}: no chapter {name} in the book"
            elif not (self.root / image_path(here, path)).exists():
                message = f"link to {href}: no such file"
            else:
                message = f"link to {href} is not part of the book"
            return Resolved(
                None,
                "warning",
                f"{message} (its text is kept, without the link)",
                "links to files that are not in the book",
            )
        if not parts.fragment:
            return Resolved(self._to(other, other.anchor, here))
        found = self._anchor(other, unquote(parts.fragment))
        if found is None:
            return Resolved(
                None,
                "warning",
                f"link to {href}: no anchor #{parts.fragment} in {other.source}",
                "links to anchors that do not exist",
            )
        return Resolved(self._to(other, found, here))

    def image(self, here: Chapter, src: str) -> Resolved:
        """An image the outputs can show, or a placeholder (url None, `placeholder` set) with
        a warning, as pandoc and Quarto do for a missing or remote one; a source that would
        read outside the project, or through another scheme, is an error."""
        parts = urlsplit(src)
        if src.startswith("data:"):
            return Resolved(src)
        if parts.scheme in ("http", "https"):
            if self.allow_network:
                return Resolved(src)
            return Resolved(
                None,
                "warning",
                f"image {src} is on the network, which builds do not load without "
                "--allow-network: a placeholder shows its description",
                "remote images shown as placeholders",
                placeholder=True,
            )
        if parts.scheme or parts.netloc:
            return Resolved(
                None,
                "error",
                f"image {src}: the {parts.scheme or 'file'}: scheme is not allowed; "
                "use a path inside the project",
                "images with a scheme that is not allowed",
            )
        if not parts.path:
            return Resolved(
                None, "warning", "image without a source", "images without a source", True
            )
        path = image_path(here, src)
        file = (self.root / path).resolve()
        if self.root.resolve() not in file.parents:
            return Resolved(
                None,
                "error",
                f"image {src} is outside the project; copy it into the project",
                "images outside the project",
            )
        if not file.is_file():
            return Resolved(
                None,
                "warning",
                f"image {src} not found: a placeholder shows its description",
                "missing images shown as placeholders",
                placeholder=True,
            )
        return Resolved(path)

    def findings(self, chapter: Chapter) -> list[tuple[Reference, Resolved]]:
        """Every reference of the chapter that is not kept as written, with why."""
        out = []
        for ref in chapter_references(chapter):
            if ref.kind == "link":
                resolved = self.link(chapter, ref.target)
            elif ref.kind == "image":
                resolved = self.image(chapter, ref.target)
            else:
                continue
            if resolved.level:
                out.append((ref, resolved))
        return out


def book_findings(book: Book) -> list[Diagnostic]:
    """What every build says about the chapters (what loading them found), the links it
    drops, the images it replaces by placeholders or refuses, and the tables it prints
    smaller or turned: the findings `check` reports. The builds stop on the errors among them."""
    resolver = Resolver(book)
    links = [
        resolved.diagnostic(chapter.source, ref.line)
        for chapter in book.chapters
        for ref, resolved in resolver.findings(chapter)
    ]
    from build_report.fonts import undrawable

    loading = [w for chapter in book.chapters for w in chapter.warnings]
    return (
        loading
        + links
        + table_findings(book)
        + rich_findings(book.chapters)
        + resolver.apparatus.findings()
        + undrawable(book)
    )


@dataclass(frozen=True)
class ChapterLinks:
    """One chapter's view of the resolver, in the shape the sanitizer calls."""

    resolver: Resolver
    chapter: Chapter

    def image(self, src: str) -> Resolved:
        return self.resolver.image(self.chapter, src)

    def url(self, tag: str, attribute: str, value: str) -> str | None:
        if tag == "img":
            return self.resolver.image(self.chapter, value).url
        return self.resolver.link(self.chapter, value).url


def origins(book: Book, stylesheet: str) -> dict[str, str]:
    """URL as WeasyPrint will ask for it -> the file that asked, for clear refusals."""
    base = book.root.resolve().as_uri() + "/"
    resolver = Resolver(book)
    found: dict[str, str] = {}
    for chapter in book.chapters:
        for ref in chapter_references(chapter):
            if ref.kind == "image":
                url = resolver.image(chapter, ref.target).url
                if url:
                    found.setdefault(urljoin(base, url), chapter.source)
    for ref in css_references(book.root, stylesheet):
        found.setdefault(urljoin(urljoin(base, ref.source), ref.target), ref.source)
    found.setdefault(urljoin(base, stylesheet), "report.toml")
    return found
