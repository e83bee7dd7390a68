"""WeasyPrint through its public API: a document laid out and written, every resource through
the project's gatekeeper, its messages collected, its page and time limits watched.

This module imports neither WeasyPrint nor the Markdown and template stack at load time: a
build lays out in a process that never loads the latter (commands/build.py). What reaches into
the engine's internals is in engine.py, and nowhere else.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from build_report import console
from build_report.errors import BuildError, Diagnostic
from build_report.pdf.stack import roomy
from build_report.processes import Deadline
from build_report.project.config import PAPER_POINTS, Config
from build_report.project.model import Book
from build_report.resources import ProjectResources


class _Collector(logging.Handler):
    """Turns WeasyPrint's log records (missing image, ignored CSS) into our diagnostics."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.levelno, record.getMessage().splitlines()[0]))

    def diagnostics(self, resources: ProjectResources) -> list[Diagnostic]:
        return [_diagnostic(message, resources) for _, message in self.records]


def _diagnostic(message: str, resources: ProjectResources) -> Diagnostic:
    """Name the source WeasyPrint's message is about: the stylesheet for `Ignored `x: y` at
    12:3`. (Links never reach the engine without their anchor: markup/resolver.py drops
    them first, and says where.)

    Everything the engine logs is a warning here: what stops a build (a refused resource, a
    limit) is raised as an error on its own, and the PDF is written (--strict refuses it).
    """
    level = "warning"
    found = re.search(r"`([^`]*)` at (\d+):(\d+)", message)
    if found:
        snippet, line, col = found.group(1), int(found.group(2)), int(found.group(3))
        key = snippet.split(":")[0].strip()
        for path in dict.fromkeys(resources.served):
            if path.suffix != ".css":
                continue
            lines = path.read_text("utf-8", errors="replace").splitlines()
            if 0 < line <= len(lines) and key and key in lines[line - 1]:
                shown = str(path.relative_to(resources.root))
                return Diagnostic(shown, line, col, level, message, kind=_kind(message))
    return Diagnostic("weasyprint", None, None, level, message, kind=_kind(message))


def _kind(message: str) -> str:
    """What the engine's messages of one sort share, for grouped reports: the message
    without what it quotes (`"न" (U+0928)`, `font-size: 1e9px`) or counts."""
    return re.sub(r'"[^"]*"|`[^`]*`|\(U\+[0-9A-F]+\)|\d+', "...", message)


@contextlib.contextmanager
def captured_weasyprint_logs() -> Iterator[_Collector]:
    logger = logging.getLogger("weasyprint")
    collector = _Collector()
    saved = logger.propagate
    logger.addHandler(collector)
    logger.propagate = False
    try:
        yield collector
    finally:
        logger.removeHandler(collector)
        logger.propagate = saved


@dataclass(frozen=True)
class PdfOptions:
    """How to make a PDF from the HTML: the variant for archiving or accessibility, and the
    imposition for printing (booklet, or 2 or 4 pages on a sheet)."""

    pdf_variant: str | None = None
    booklet: bool = False
    n_up: int = 1
    strict: bool = False
    allow_network: bool = False
    jobs: int = 1
    reuse_parts: bool = False  # chapter-parallel builds keep their parts to reuse (cache.py)
    deadline: Deadline | None = None  # the build's (processes.py); else time_limit from now
    page_budget: Any = None  # a parallel build's shared count of pages (see _Limits)

    @property
    def uses_store(self) -> bool:
        """Whether the build keeps what it made for later builds: parts (cache.PartStore) and
        where each page starts, for the ebook (pages/record.py). Not with --no-cache, nor
        with the network allowed (what was fetched may change)."""
        return self.reuse_parts and not self.allow_network


def check_stylesheet(css: str, root: Path, key: str = "print_css") -> Path:
    path = root / css
    if not path.is_file():
        raise BuildError(css, "stylesheet not found", f"create it, or set {key} in report.toml")
    return path


def make_fetcher(resources: ProjectResources, text: str = "", leading_only: bool = False):
    """A WeasyPrint URL fetcher that asks `resources` before it reads anything. Given the
    document's `text`, it serves stylesheets without the `@font-face` rules that text does not
    need (fonts.fit_stylesheet): the engine would load every face. `leading_only`: without
    those of fallback families, whatever the text (fonts.leading_only; `warm_up`)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    used = {ord(c) for c in set(text)}  # (the set first: a book part is a million characters)

    class ProjectFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                resources.read(url)  # an SVG in a data: URL is vetted like a file (svg.py)
                return super().fetch(url, headers)
            body, mime = resources.read(url)
            if (used or leading_only) and mime.startswith("text/css"):
                body = _fitted_css(body, url, resources.root, used, leading_only)
            return URLFetcherResponse(url, body=body, headers={"Content-Type": mime})

    return ProjectFetcher()


def _fitted_css(body: bytes, url: str, root: Path, used: set[int], leading: bool) -> bytes:
    from urllib.parse import unquote, urlsplit

    from build_report.fonts import fit_stylesheet, leading_only

    try:
        href = Path(unquote(urlsplit(url).path)).resolve().relative_to(root.resolve())
        text = body.decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return body
    if leading:
        return leading_only(text, href.as_posix()).encode("utf-8")
    return fit_stylesheet(text, href.as_posix(), root, used).encode("utf-8")


class _LimitReached(BaseException):
    """Raised from WeasyPrint's progress log to stop a runaway layout (BaseException, so that
    no `except Exception` inside the engine swallows it). What none of this can stop (code
    that catches BaseException) is stopped by the build's watchdog (processes.py)."""


class _Limits(logging.Handler):
    """Watches WeasyPrint's per-page progress: stop past `max_pages` or the deadline.

    With a shared `budget` (a parallel build's counter of pages laid out in every process),
    max_pages holds for the whole book, not for each part.
    """

    def __init__(self, max_pages: int, deadline: Deadline, budget: Any = None) -> None:
        super().__init__(logging.INFO)
        self.max_pages = max_pages
        self.deadline = deadline
        self.budget = budget
        self.pages = 0  # the furthest page of this document (WeasyPrint may lay one out again)
        self.late = False

    def emit(self, record: logging.LogRecord) -> None:
        found = re.search(r"Page (\d+)", record.getMessage())
        if found:
            before = self.pages
            count = self._count(int(found.group(1)))
            if self.pages > before:
                console.current.tick(self.pages - before)  # a page laid out for the first time
            if count > self.max_pages:
                raise _LimitReached("max_pages")
        if self.deadline.passed():
            self.late = True
            raise _LimitReached("time_limit")

    def _count(self, page: int) -> int:
        """Pages laid out so far: in this document, or in the whole book with a budget."""
        new, self.pages = max(page - self.pages, 0), max(page, self.pages)
        if self.budget is None:
            return self.pages
        with self.budget.get_lock():
            self.budget.value += new
            return self.budget.value


def page_limit(max_pages: int) -> BuildError:
    """The error of a book that passed max_pages (in one process, or all of them together)."""
    return BuildError(
        "report.toml",
        f"stopped: the layout passed {max_pages} pages",
        "look for runaway CSS or content, or raise max_pages under [build]",
    )


@contextlib.contextmanager
def limits(max_pages: int, deadline: Deadline, budget: Any = None) -> Iterator[_Limits]:
    logger = logging.getLogger("weasyprint.progress")
    guard = _Limits(max_pages, deadline, budget)
    saved = logger.level, logger.propagate
    logger.addHandler(guard)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield guard
    finally:
        logger.removeHandler(guard)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def load_engine() -> None:
    """Import WeasyPrint now (about half a second), e.g. while another process prepares."""
    import weasyprint  # noqa: F401


_FONTS: list = []  # (the scratch folder it was made in, the FontConfiguration)


def shared_fonts():
    """One FontConfiguration for every document this process lays out in this build (passed
    to `render`, WeasyPrint's public API): a face loaded for one document is there for the
    next (WeasyPrint skips a face it has already written to its folder), and processes forked
    after `warm_up` start with every face loaded. It lives as long as the build's scratch
    folder (processes.scratch_folder), where WeasyPrint keeps the font files; the live
    preview's worker gets a new one with each build."""
    import tempfile

    from weasyprint.text.fonts import FontConfiguration

    from build_report.processes import in_scratch_folder

    folder = tempfile.gettempdir()
    if not in_scratch_folder():  # no folder of ours (none could be made): one a document
        return FontConfiguration()
    if not _FONTS or _FONTS[0][0] != folder:
        if not _FONTS:
            os.register_at_fork(before=_list_font_files, after_in_child=_own_font_folder)
        _FONTS[:] = [(folder, FontConfiguration())]
    return _FONTS[0][1]


_FORKED: list = []  # the shared fonts' face files at this process's last fork


def _list_font_files() -> None:
    """Before a fork: the faces the child inherits, listed while nothing else writes them."""
    import tempfile

    from build_report.pdf.internals import font_files

    current = _FONTS and _FONTS[0][0] == tempfile.gettempdir()
    _FORKED[:] = [font_files(_FONTS[0][1]) if current else None]


def _own_font_folder() -> None:
    """In a forked child: the shared fonts write their faces to a folder of its own
    (internals.own_font_folder says why), removed when the child leaves."""
    names = _FORKED[0] if _FORKED else None
    if names is None:  # no face written yet, or fonts of an earlier build: nothing shared
        return
    import shutil

    from build_report.pdf.internals import own_font_folder
    from build_report.processes import on_child_exit

    mine = own_font_folder(_FONTS[0][1], names)
    if mine is not None:
        on_child_exit(lambda: shutil.rmtree(mine, ignore_errors=True))


# A paragraph to lay out and write before the book, in each weight. Not hyphenated: the
# patterns are read meanwhile by the process that reads the chapters (`hyphenation`).
SAMPLE = (
    '<p style="hyphens: manual">Internationalization <em>notwithstanding</em>, '
    "<strong>characteristically</strong> "
    "<code>representational</code> responsibilities 1234567890.</p>"
) * 4


def warm_up(layout: Layout, html: str) -> None:
    """What a process pays on its first document, paid now, into this process's
    `shared_fonts` and parsed stylesheets (internals.parsed_once): the stylesheets of `html`
    (a document of the book, or `print_head`) parsed, the faces of their leading families
    loaded, Pango set up and the font subsetter imported, by laying out and writing a
    paragraph under `html`'s head. About 0.3 s of a cold process; the processes forked
    afterwards (a parallel build's, the live preview's builds) start with all of it. What
    reads files only is left to the process that reads the chapters meanwhile: the
    hyphenation patterns (`hyphenation`) and the fonts' character maps (fonts.read_maps).
    The stylesheets are served as a Latin text's documents get them (fonts.leading_only), so
    that their parse is the one those documents reuse."""
    head = re.sub(r"<body\b.*", "", html, flags=re.DOTALL)
    sample = f'{head}<body class="print"><section class="chapter">{SAMPLE}</section></body></html>'
    with engine(layout, PdfOptions()) as (resources, logs):
        import weasyprint

        page = weasyprint.HTML(
            string=sample,
            base_url=layout.root.resolve().as_uri() + "/",
            url_fetcher=make_fetcher(resources, leading_only=True),
        )
        document = render(page)
        roomy(document.write_pdf)


def hyphenation(languages: Iterable[str]) -> None:
    """Read the hyphenation patterns of `languages` into pyphen's cache (by file). The engine
    reads them the first time it hyphenates a line of a language, not before, and each
    layout process paid about 0.15 s for them in its first part: read once, by the process
    that reads the chapters (PdfWriter.prepare), they come back to the process that forks
    the layout processes (`share_caches`)."""
    import pyphen

    for language in dict.fromkeys(languages):
        found = pyphen.language_fallback(language) if language else None  # as the engine asks
        if found:
            pyphen.Pyphen(lang=found)


def read_for_engine(book: Book, documents: list[str]) -> None:
    """What the engine will read of files for these documents, read now into the caches
    `share_caches` hands back: the hyphenation patterns of the book's languages and the
    fonts' character maps the documents' stylesheets are fitted with (fonts.read_maps). Run
    by the process that reads the chapters (PdfWriter.prepare)."""
    from build_report.fonts import read_maps

    language = book.config.report.language
    hyphenation([language, *(chapter.lang(language) for chapter in book.chapters)])
    read_maps(book, {ord(c) for c in set().union(*map(set, documents))})


def share_caches() -> None:
    """What a child that reads the chapters reads of files for the engine comes back to this
    process (processes.share_cache): the hyphenation patterns (`hyphenation`) and the
    character maps of the fonts (fonts.py), read once for every layout process forked later."""
    import pyphen

    from build_report import fonts
    from build_report.processes import share_cache

    share_cache(pyphen.hdcache)
    share_cache(fonts._MAPS)


def print_head(config: Config) -> str:
    """The head of a print document of the project (its language and stylesheets), for
    `warm_up` before the chapters are read."""
    from html import escape

    links = "".join(
        f'<link rel="stylesheet" href="{escape(href)}">' for href in config.print_stylesheets
    )
    language = escape(config.report.language)
    return f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8">{links}</head>'


def warm_up_project(config: Config) -> None:
    """The engine imported and warmed (`warm_up`) for the project's print stylesheets, while
    another process reads the chapters (commands/build.py): the process that lays out the
    book, or forks the processes that do, starts warm. What fails here is left to the build,
    which reads the same files and says what is wrong."""
    import tempfile

    load_engine()
    key = (tempfile.gettempdir(), print_head(config))
    if key in _WARM:  # the live preview's worker, at its next build: warm already
        return
    layout = Layout(config, datetime.datetime.now(datetime.UTC), "", {})
    with contextlib.suppress(Exception):  # the build reports its own errors
        warm_up(layout, key[1])
    _WARM.add(key)


_WARM: set[tuple[str, str]] = set()  # (scratch folder, head) this process has warmed up for


def warm_up_on(layout: Layout) -> None:
    """Lay out and write a real document of the book in this process, once a scratch folder
    (the live preview's, for its session): its later builds fork their processes with all a
    chapter needs already loaded (the hyphenation patterns of its language, its faces, the
    engine's C types), where `warm_up`'s sample paragraph loads less: about half a second
    of every rebuild. What fails is left to the builds."""
    import tempfile

    key = (tempfile.gettempdir(), "a document of the book")
    if key in _WARM:
        return
    _WARM.add(key)
    with contextlib.suppress(Exception):
        lay_out(layout, PdfOptions())


@dataclass(frozen=True)
class Rendered:
    data: bytes
    pages: int
    diagnostics: list[Diagnostic]
    inputs: tuple[Path, ...]
    starts: tuple[dict, ...] = ()  # where each page starts (pages/record.py), when recorded
    # a part's pages that start cleanly (internals.Pagination): (element index, page, tag)
    clean: tuple[tuple[int, int, str], ...] = ()
    levels: tuple[int, ...] | None = None  # its outline's entries' levels, in order (live.py)


@dataclass(frozen=True)
class Layout:
    """One HTML document to lay out, with what the engine needs of the Book and no more: the
    project's settings (root, limits, paper), the clock, and which file asked for each URL
    (for errors that name their source). Plain data, so it can be made in
    another process (build.py) and shared by the parts of a parallel build."""

    config: Config
    created: datetime.datetime
    html: str
    origins: dict[str, str]
    warnings: tuple[Diagnostic, ...] = ()  # what rendering found (links it dropped)
    stylesheet: str = ""  # the document's stylesheet, as report.toml names it (for errors)
    also_read: tuple[Path, ...] = ()  # files read for it elsewhere (the briefing's layout)

    @classmethod
    def of(cls, book: Book, html: str, stylesheet: str = "") -> Layout:
        from build_report.markup.resolver import book_findings, origins

        css = stylesheet or book.config.build.print_css
        found = tuple(book_findings(book))
        return cls(book.config, book.created, html, origins(book, css), found, css)

    @property
    def root(self) -> Path:
        return self.config.root


@contextlib.contextmanager
def engine(layout: Layout, options: PdfOptions) -> Iterator[tuple[ProjectResources, _Collector]]:
    """WeasyPrint at work on `layout`: every resource through the project's gatekeeper, its
    messages collected, the configured page and time limits watched, and what stops it
    turned into an error for the user."""
    from build_report.pdf.only_our_fonts import no_machine_fonts

    no_machine_fonts()
    settings = layout.config.build
    resources = ProjectResources(
        layout.root, allow_network=options.allow_network, origins=layout.origins
    )
    deadline = options.deadline or Deadline(
        time.monotonic() + settings.time_limit, settings.time_limit
    )
    from build_report.pdf.internals import (
        glyph_runs,
        painting,
        parsed_once,
        typed_arrays,
        typesetting,
    )

    try:
        with (
            captured_weasyprint_logs() as logs,
            limits(settings.max_pages, deadline, options.page_budget) as guard,
            painting(console.current.tick),
            typesetting(),
            parsed_once(),
            typed_arrays(),
            glyph_runs(),
        ):
            yield resources, logs
    except _LimitReached:
        raise (deadline.error() if guard.late else page_limit(settings.max_pages)) from None
    except (RecursionError, MemoryError) as exc:
        kind = "too deeply nested" if isinstance(exc, RecursionError) else "too large"
        raise BuildError(
            "chapters", f"the document is {kind} to lay out", "simplify the content or CSS"
        ) from None
    except Exception as exc:
        if isinstance(exc, click.ClickException) or not _in_engine(exc):
            raise
        raise engine_failure(exc, layout, resources) from None
    resources.raise_first_refusal()


# Every package the engine runs on: a crash whose innermost frame is in one of them is the
# engine's (our own code's bugs keep their traceback).
ENGINE_PACKAGES = ("weasyprint", "pydyf", "tinycss2", "cssselect2", "tinyhtml5", "html5lib")
ENGINE_PACKAGES += ("fontTools", "pyphen", "PIL", "cffi")
# A length no document needs: 10,000 of any unit (3.5 m in points; 1e9px made WeasyPrint
# 70 divide by zero while drawing text).
ABSURD_LENGTH = re.compile(
    r"([a-z-]+)\s*:[^;{}]*?(?<![\w.#-])([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)"
    r"(px|pt|pc|mm|cm|in|q|em|rem|ex|ch|vw|vh|vmin|vmax|%)(?![\w-])",
    re.IGNORECASE,
)
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def _in_engine(exc: BaseException) -> bool:
    """Whether `exc` was raised inside the layout engine (or a library under it)."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return False
    parts = Path(frames[-1].filename).parts
    return any(name in parts for name in ENGINE_PACKAGES) and "build_report" not in parts


def engine_failure(exc: Exception, layout: Layout, resources: ProjectResources) -> BuildError:
    """One line for a crash inside WeasyPrint: no traceback, the stylesheet named, and the
    declaration most likely to blame when one holds an absurd length."""
    what = f"the layout engine failed ({type(exc).__name__})"
    todo = (
        "look for extreme values (a huge font-size, width, margin or line-height) in the "
        "stylesheets; if there are none, please report it with the output of build-report -v"
    )
    culprit = _absurd_declaration(resources)
    if culprit is not None:
        path, line, declaration = culprit
        return BuildError(path, f"{what}, probably on `{declaration}`", todo, line)
    return BuildError(layout.stylesheet or layout.config.build.print_css, what, todo)


def _absurd_declaration(resources: ProjectResources) -> tuple[str, int, str] | None:
    """(file, line, declaration) of the first length of 10,000 or more of any unit in the
    stylesheets the engine was served, comments aside."""
    for path in dict.fromkeys(resources.served):
        if path.suffix.lower() != ".css":
            continue
        try:
            text = path.read_text("utf-8", errors="replace")
        except OSError:
            continue
        text = CSS_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
        for number, line in enumerate(text.splitlines(), start=1):
            for found in ABSURD_LENGTH.finditer(line):
                try:
                    size = abs(float(found.group(2)))
                except (ValueError, OverflowError):
                    continue
                if size >= 10_000:
                    shown = str(path.relative_to(resources.root))
                    return shown, number, found.group().strip()
    return None


def html_document(layout: Layout, resources: ProjectResources):
    import weasyprint

    return weasyprint.HTML(
        string=layout.html,
        base_url=layout.root.resolve().as_uri() + "/",
        url_fetcher=make_fetcher(resources, layout.html),
    )


def render(page, **extra):
    """Lay out a weasyprint.HTML: with presentational hints (an image's width/height
    attributes, `{width=50%}` or raw `<img width="80">`, size it in print as they do in a
    browser), the process's fonts (`shared_fonts`), and room on the stack (stack.py)."""
    return roomy(
        lambda: page.render(presentational_hints=True, font_config=shared_fonts(), **extra)
    )


def checked(layout: Layout, options: PdfOptions, resources, logs) -> list[Diagnostic]:
    """The engine's messages as diagnostics; under --strict the first is an error."""
    return strictly(logs.diagnostics(resources), options)


def strictly(diagnostics: list[Diagnostic], options: PdfOptions) -> list[Diagnostic]:
    """`diagnostics`, unless one is an error, or --strict makes the first warning one."""
    for first in diagnostics:
        if first.level == "error":
            raise BuildError(first.path, first.message, "fix it and build again", first.line)
    if options.strict and diagnostics:
        first = diagnostics[0]
        raise BuildError(
            first.path,
            f"{first.message} (a warning, an error under --strict)",
            "fix it, or build without --strict",
            first.line,
        )
    return diagnostics


def lay_out(layout: Layout, options: PdfOptions) -> Rendered:
    """HTML -> PDF bytes with WeasyPrint (see `engine`)."""
    extra = {"pdf_variant": options.pdf_variant} if options.pdf_variant else {}
    with engine(layout, options) as (resources, logs):
        page = html_document(layout, resources)
        document = render(page, **extra)
        # PDF/A wants a file identifier; pydyf computes it by serializing every object a
        # second time (about 5% of a build), so plain PDFs go without, as WeasyPrint's do.
        ident = {"pdf_identifier": _identifier(layout)} if options.pdf_variant else {}
        data = roomy(lambda: document.write_pdf(**ident, **extra))
    diagnostics = checked(layout, options, resources, logs)
    pages = len(document.pages)
    starts = _page_starts(layout, document, options)
    if options.booklet or options.n_up > 1:
        from build_report.pdf.impose import booklet, n_up

        paper = PAPER_POINTS[layout.config.build.paper]
        data = booklet(data, paper) if options.booklet else n_up(data, options.n_up, paper)
    return Rendered(data, pages, diagnostics, tuple(dict.fromkeys(resources.served)), starts)


def _page_starts(layout: Layout, document, options: PdfOptions) -> tuple[dict, ...]:
    """Where each page starts, for a document whose chapters are numbered block by block
    (markup/blocks.py: the print book, not a handout or a part's footers), when the build
    keeps it (a walk of every box: 3% of a part's cost, for nothing otherwise)."""
    from build_report.markup.blocks import ATTRIBUTE
    from build_report.pdf.internals import page_starts, supported

    if not options.uses_store or f'{ATTRIBUTE}="' not in layout.html or not supported():
        return ()
    return tuple(page_starts(document, ATTRIBUTE))


def lay_out_pages(layout: Layout, options: PdfOptions) -> tuple[list[dict], tuple[Path, ...]]:
    """Where each page of `layout` starts, laid out but not painted (the ebook's own layout
    when no PDF build left a record: pages/record.py), and the files the layout loaded."""
    from build_report.markup.blocks import ATTRIBUTE
    from build_report.pdf.internals import page_starts

    with engine(layout, options) as (resources, logs):
        page = html_document(layout, resources)
        document = render(page)
    checked(layout, options, resources, logs)
    return page_starts(document, ATTRIBUTE), tuple(dict.fromkeys(resources.served))


def count_pages(layout: Layout, options: PdfOptions) -> int:
    """How many pages `layout` makes, without writing them: painting is about half of a
    document's cost (the contents of a long book: one text box per leader dot), and a
    parallel build only needs the front's length before the numbers are known."""
    with engine(layout, options) as (resources, logs):
        page = html_document(layout, resources)
        document = render(page)
    checked(layout, options, resources, logs)
    return len(document.pages)


def _identifier(layout: Layout) -> bytes:
    """A stable PDF /ID from the config, so the same sources give the same file."""
    import hashlib

    report = layout.config.report
    seed = f"{report.slug}\n{report.title}\n{layout.created.isoformat()}"
    return hashlib.md5(seed.encode(), usedforsecurity=False).hexdigest().encode()
