"""Book -> the file set of an ebook: XHTML content documents, nav, cover, styles, fonts, images.

`build-report html` writes this set as a folder; `build-report epub` zips the same set with a
package document. One writer feeds both, so the folder is always one zip away from an EPUB.
"""

from __future__ import annotations

import datetime
import posixpath
import re
import textwrap
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from lxml import etree
from markupsafe import Markup

from build_report import __version__
from build_report.ebook.pagebreaks import strip_block_names
from build_report.ebook.xhtml import XHTML_NS, finish_document, fragment_to_xhtml
from build_report.errors import BuildError, Diagnostic
from build_report.html.documents import chapters_html, has_editorial, target_lists
from build_report.html.templates import fill
from build_report.markup.aidsources import AidLinks
from build_report.markup.references import css_references, css_target
from build_report.markup.renderer import EPUB
from build_report.markup.resolver import book_findings
from build_report.pages.record import PageMap
from build_report.project.model import Book
from build_report.resources import ProjectResources, svg_references

START_PAGE = "index.xhtml"
COVER_PAGE = "cover.xhtml"
COVER_IMAGE = "cover.svg"
NAV = "nav.xhtml"
MEDIA_TYPES = {
    ".xhtml": "application/xhtml+xml",
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
# What a stylesheet may bring in: styles, fonts, images (never a content document).
STYLE_TYPES = {suffix: kind for suffix, kind in MEDIA_TYPES.items() if suffix != ".xhtml"}
# The package's own documents: a chapter may not take their names (a chapter file
# `03-nav.md` would otherwise replace the contents page, or vanish under it).
RESERVED = frozenset({START_PAGE, COVER_PAGE, NAV, COVER_IMAGE})
# What OCF forbids in file names, besides "/" as the separator.
FORBIDDEN = re.compile(r'[\\"*:<>?\x00-\x1f\x7f]')


def entry_name(name: str) -> str:
    """`name` if it is a plain relative path inside the content folder, else BuildError.

    Every file of the ebook gets its name through here, so no zip entry and no file of the
    html folder can climb out (`..`), be absolute, or mean another path on Windows (`\\`).
    """
    parts = name.split("/")
    if (
        not name
        or FORBIDDEN.search(name)
        or posixpath.normpath(name) != name
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise BuildError(
            repr(name)[1:-1] or "(empty name)",
            "cannot be a file name inside an ebook",
            'rename it with letters, digits, "-", "_" and "." only',
        )
    return name


@dataclass(frozen=True)
class Item:
    """One file of the ebook, by its path inside the content folder."""

    href: str
    data: bytes
    properties: str = ""

    def __post_init__(self) -> None:
        entry_name(self.href)

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[Path(self.href).suffix.lower()]

    @property
    def id(self) -> str:
        return "item-" + re.sub(r"[^A-Za-z0-9]+", "-", self.href).strip("-")


@dataclass
class Ebook:
    items: list[Item]
    spine: list[str]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    inputs: tuple[Path, ...] = ()
    page_list: bool = False  # it carries the print book's page breaks (pagebreaks.py)


def chapter_files(book: Book) -> dict[str, str]:
    """Chapter slug -> its document: `slug.xhtml`, unless that is one of the package's own
    names (or was given to another chapter), then `slug-chapter.xhtml` (`-chapter-2`, ...).
    Reading systems and zip tools differ on non-ASCII entry names, so a chapter whose slug is
    in another script is stored as `chapter-N.xhtml` (its ids and title keep their script)."""
    taken = set(RESERVED) | {f"{ch.slug}.xhtml" for ch in book.chapters if ch.slug.isascii()}
    files: dict[str, str] = {}
    for chapter in book.chapters:
        stem = chapter.slug if chapter.slug.isascii() else f"chapter-{chapter.number}"
        name = f"{stem}.xhtml"
        if name in RESERVED or (stem != chapter.slug and name in taken):
            name, n = f"{stem}-chapter.xhtml", 1
            while name in taken:
                n += 1
                name = f"{stem}-chapter-{n}.xhtml"
        taken.add(name)
        files[chapter.slug] = name
    return files


def title_lines(title: str, width: int = 18) -> list[str]:
    """Break the title for the SVG cover, which has no automatic line wrapping."""
    return textwrap.wrap(title, width=width) or [title]


def identifier(book: Book) -> str:
    """The same at every build of the same report, different for a different report."""
    report = book.config.report
    seed = f"build-report:{report.slug}:{report.title}:{report.author}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"


def _context(book: Book, chapters, stylesheet: str) -> dict:
    """What every ebook template reads; `stylesheet` is the screen CSS's name in the ebook."""
    return {
        "report": book.config.report,
        "words": book.words,
        "dir": book.dir,
        "summary_chapters": book.summary_chapters,
        "colophon": book.config.build.colophon,
        "cite_as": book.cite_as,
        "version": __version__,
        "date_label": book.date_label,
        "text_align": book.config.build.text_align,
        "chapters": chapters,
        "has_editorial": has_editorial(book),
        "stylesheet": stylesheet,
        "start_page": START_PAGE,
        "cover_page": COVER_PAGE,
        "cover_image": COVER_IMAGE,
    }


def build_ebook(book: Book, pages: PageMap | None = None) -> Ebook:
    """Render every document and gather every file they use, through the resource gatekeeper.

    Every file the documents use is named by where it really is in the project (after `..`
    and symbolic links), never by the URL as written, and the documents point at that name.
    `pages`: the print book's pages, whose breaks the chapters then carry (pagebreaks.py).
    """
    resources = ProjectResources(book.root)
    files = chapter_files(book)
    chapters = chapters_html(book, EPUB, files)
    diagnostics: list[Diagnostic] = book_findings(book)
    try:
        styles = _stylesheets(book, resources)
        context = _context(book, chapters, styles[0].href)
        context["lists"] = target_lists(book, files)  # of figures, of tables
        context["since"], context["changes"] = book.since, book.changes  # --since
        context["change_files"] = {ch.number: files[ch.slug] for ch in book.chapters}
        context["aid_link"] = AidLinks(book, files)  # each aid to its passage
        documents = _documents(chapters, files, context, pages)
        sources = {files[ch.slug]: ch.source for ch in book.chapters}
        _drop_dangling_links(documents, sources, diagnostics)
        images = _images(documents, resources, diagnostics, sources)
        cover = _cover_svg(book)
        styles = _fitted(styles, [*documents.values(), cover])
    except PermissionError:
        resources.raise_first_refusal()
        raise
    items = [
        Item(COVER_IMAGE, cover, "cover-image"),
        *[Item(name, data, _properties(name, data)) for name, data in documents.items()],
        *styles,
        *images,
    ]
    _check_unique(items)
    spine = [COVER_PAGE, START_PAGE, *files.values()]
    ids = {i.href: i.id for i in items}
    served = tuple(dict.fromkeys(resources.served))
    has_pages = bool(context.get("page_list"))
    return Ebook(items, [ids[s] for s in spine], diagnostics, served, has_pages)


def _fitted(styles: list[Item], documents: list[bytes]) -> list[Item]:
    """The stylesheets and fonts, with only the faces the documents' text uses, subset."""
    from build_report.ebook.fonts import fit

    text = []
    for data in documents:
        root = etree.fromstring(data)
        text.append("".join(root.itertext()))
        text.extend(str(v) for v in root.xpath("//@alt | //@title | //@aria-label"))
    fitted = fit({item.href: item.data for item in styles}, "".join(text))
    return [Item(item.href, fitted[item.href]) for item in styles if item.href in fitted]


def _documents(
    chapters: list, files: dict[str, str], context: dict, pages: PageMap | None = None
) -> dict[str, bytes]:
    """The cover, title page, chapters and nav, as finished XHTML by their file names; with
    `pages`, the chapters carry the print book's page breaks, and the nav its page-list."""
    documents: dict[str, bytes] = {}
    documents[COVER_PAGE] = finish_document(fill("epub/cover.xhtml.jinja", **context))
    documents[START_PAGE] = finish_document(fill("epub/title.xhtml.jinja", **context))
    for index, item in enumerate(chapters):
        chapter = item.chapter
        notes = [(n + 1, Markup(fragment_to_xhtml(v))) for n, v in sorted(item.notes.items())]
        text = fill(
            "epub/chapter.xhtml.jinja",
            **context,
            chapter=chapter,
            body=Markup(fragment_to_xhtml(item.body)),
            notes=notes,
            previous=chapters[index - 1] if index > 0 else None,
            next=chapters[index + 1] if index + 1 < len(chapters) else None,
        )
        try:
            documents[files[chapter.slug]] = finish_document(text)
        except etree.XMLSyntaxError as exc:  # a bug of ours, not the author's: say where
            raise BuildError(
                chapter.source, f"could not make XHTML: {exc}", "report this"
            ) from None
    context["page_list"] = []
    if pages is not None:
        from build_report.ebook.pagebreaks import place

        order = [files[item.chapter.slug] for item in chapters]
        context["page_list"] = place(documents, order, pages)
    for name in documents:
        documents[name] = strip_block_names(documents[name])
    documents[NAV] = finish_document(fill("epub/nav.xhtml.jinja", **context))
    return documents


def _properties(name: str, data: bytes) -> str:
    """The manifest properties of a document: `nav`, and `mathml` or `svg` where it holds
    MathML (math) or inline SVG (callout icons), as EPUBCheck requires (OPF-014)."""
    found = ["nav"] if name == NAV else []
    if b"http://www.w3.org/1998/Math/MathML" in data:
        found.append("mathml")
    if b"http://www.w3.org/2000/svg" in data:
        found.append("svg")
    return " ".join(found)


def _check_unique(items: list[Item]) -> None:
    """Two files under one name would silently lose one of them (the cover, a chapter)."""
    seen: set[str] = set()
    for item in items:
        if item.href in seen:
            raise BuildError(
                item.href,
                "this name is used twice in the ebook (one of them is the ebook's own file)",
                "rename the project file",
            )
        seen.add(item.href)


def _project_name(real: Path, root: Path) -> str:
    """A served file's name in the ebook: its real path in the project, checked."""
    return entry_name(real.relative_to(root).as_posix())


def _drop_dangling_links(
    documents: dict[str, bytes], sources: dict[str, str], diagnostics: list[Diagnostic]
) -> None:
    """A link to a file or anchor that is not in the book is an EPUBCheck error: keep the
    text, drop the link, and say so (the PDF keeps such links, as a browser would)."""
    ids = {name: set(etree.fromstring(data).xpath("//@id")) for name, data in documents.items()}
    for name, data in documents.items():
        root = etree.fromstring(data)
        changed = False
        for link in root.iter(f"{{{XHTML_NS}}}a"):
            href = link.get("href")
            if href is None or urlsplit(href).scheme:
                continue
            path, _, fragment = href.partition("#")
            target = posixpath.normpath(unquote(path)) if path else name
            fragment = unquote(fragment)
            if target in documents and (not fragment or fragment in ids[target]):
                continue
            del link.attrib["href"]
            changed = True
            shown = sources.get(name, name)
            diagnostics.append(
                Diagnostic(shown, None, None, "warning", f"link to {href} is not part of the book")
            )
        if changed:
            documents[name] = finish_document(etree.tostring(root, encoding="unicode"))


def _cover_svg(book: Book) -> bytes:
    svg = fill(
        "epub/cover.svg.jinja",
        report=book.config.report,
        words=book.words,
        dir=book.dir,
        title_lines=title_lines(book.config.report.title),
        date_label=book.date_label,
    )
    etree.fromstring(svg.encode())  # well-formed, or fail here rather than in a reader
    return svg.encode()


def _stylesheets(book: Book, resources: ProjectResources) -> list[Item]:
    """The screen stylesheet and everything it imports or points at (fonts), recursively.

    The CSS is copied as it is, so each url() must already name the file where it really is:
    a path that leaves the project and comes back, or goes through a symbolic link, is
    refused rather than copied under a name its url() would not find."""
    first = book.config.build.screen_css
    root = resources.root
    if not (root / first).is_file():
        raise BuildError(
            first, "stylesheet not found", "create it, or set screen_css in report.toml"
        )
    url = (root / first).as_uri()
    resources.origins.setdefault(url, "report.toml")
    names = [_project_name(resources.check(url), root)]
    for ref in css_references(book.root, first):
        if urlsplit(ref.target).scheme:
            raise BuildError(
                ref.source, f"refers to {ref.target}", "use files inside the project", ref.line
            )
        written = css_target(ref)
        url = (root / written).as_uri()
        resources.origins.setdefault(url, ref.source)
        name = _project_name(resources.check(url), root)  # refused here if it is outside
        if name != written:
            hint = posixpath.relpath(name, posixpath.dirname(ref.source) or ".")
            raise BuildError(
                ref.source,
                f"{ref.target} reaches {name} through '..' or a symbolic link",
                f"write url({hint})",
                ref.line,
            )
        if Path(name).suffix.lower() not in STYLE_TYPES:
            raise BuildError(
                ref.source,
                f"{name} is not a stylesheet, font or image",
                "import CSS, fonts and images only",
                ref.line,
            )
        names.append(name)
    found: dict[str, Item] = {}
    for name in dict.fromkeys(names):
        data, _ = resources.read((root / name).as_uri())
        found[name] = Item(name, data)
    return list(found.values())


def _images(
    documents: dict[str, bytes],
    resources: ProjectResources,
    diagnostics: list[Diagnostic],
    sources: dict[str, str],
) -> list[Item]:
    """Every image of the chapters, named by its real path in the project; each `src` is
    rewritten to that name, so an image reached through `..` or a link is still found."""
    found: dict[str, Item] = {}
    for name in list(documents):
        if name == COVER_PAGE:  # our own cover image, made by _cover_svg
            continue
        root = etree.fromstring(documents[name])
        changed = False
        for img in root.iter(f"{{{XHTML_NS}}}img"):
            src = img.get("src", "")
            shown = sources.get(name, name)
            href = _image(src, shown, resources, found)
            if img.get("src") != quote(href):
                img.set("src", quote(href))
                changed = True
            if not img.get("alt"):
                diagnostics.append(
                    Diagnostic(shown, None, None, "warning", f"image {href} has no alt text")
                )
        if changed:
            documents[name] = finish_document(etree.tostring(root, encoding="unicode"))
    return list(found.values())


def _image(src: str, shown: str, resources: ProjectResources, found: dict[str, Item]) -> str:
    """One image: read through the gatekeeper once, added to `found`; its name in the ebook."""
    if urlsplit(src).scheme:
        raise BuildError(
            shown, f"image {src} is not in the project", "download it into the project"
        )
    url = (resources.root / posixpath.normpath(unquote(src))).as_uri()
    resources.origins.setdefault(url, shown)
    href = _project_name(resources.check(url), resources.root)
    if Path(href).suffix.lower() not in MEDIA_TYPES or href.endswith((".css", ".xhtml")):
        raise BuildError(
            shown,
            f"image {href} has a type EPUB readers may not show",
            "use PNG, JPEG, GIF, WebP or SVG",
        )
    if href not in found:
        body, _ = resources.read(url)
        if href.lower().endswith(".svg") and svg_references(body):
            raise BuildError(
                href,
                f"this SVG image refers to {svg_references(body)[0]}",
                "embed what it needs in the SVG itself (EPUB images stand alone)",
            )
        found[href] = Item(href, body)
    return href


def print_identifier(book: Book) -> str:
    """The print book whose pages the ebook's page breaks are (its `pageBreakSource`): this
    report's PDF in this edition on this paper, named the same at every build."""
    seed = f"{identifier(book)}:pdf:{book.edition.name}:{book.config.build.paper}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"


def package_document(book: Book, ebook: Ebook) -> bytes:
    created = book.created.astimezone(datetime.UTC)
    has_images = any(
        i.media_type.startswith("image/") and i.href != COVER_IMAGE for i in ebook.items
    )
    text = fill(
        "epub/package.opf.jinja",
        report=book.config.report,
        identifier=identifier(book),
        date=created.date().isoformat(),
        modified=created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        manifest=ebook.items,
        spine=ebook.spine,
        has_images=has_images,
        page_break_source=print_identifier(book) if ebook.page_list else None,
        accessibility_summary=(
            "Reflowable text with a navigable table of contents, headings in reading order, "
            "footnotes linked both ways, and text alternatives for images; "
            "no content relies on colour alone."
        ),
    )
    etree.fromstring(text.encode())
    return text.encode()
