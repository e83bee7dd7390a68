"""Write the print PDF with WeasyPrint (imported here only, so other commands never pay for it).

This module imports neither WeasyPrint nor the Markdown and template stack at load time: a
build lays out in a process that never loads the latter (build.py).
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from build_report import files
from build_report import console as progress
from build_report.project.config import PAPER_POINTS, Config
from build_report.errors import BuildError, Diagnostic
from build_report.project.model import Book
from build_report.resources import ProjectResources
from build_report.pdf.stack import roomy


@dataclass(frozen=True)
class PdfResult:
    path: Path
    pages: int
    diagnostics: list[Diagnostic]
    inputs: tuple[Path, ...] = ()  # every file the renderer loaded, for the cache


class _Collector(logging.Handler):
    """Turns WeasyPrint's log records (missing image, ignored CSS) into our diagnostics."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.levelno, record.getMessage().splitlines()[0]))

    def diagnostics(self, resources: ProjectResources, anchors: dict) -> list[Diagnostic]:
        return [_diagnostic(message, resources, anchors) for _, message in self.records]


def _diagnostic(message: str, resources: ProjectResources, anchors: dict) -> Diagnostic:
    """Name the source WeasyPrint's message is about: the stylesheet for `Ignored `x: y` at
    12:3`, the chapter and line of the link for `No anchor #x`.

    Everything the engine logs is a warning here: what stops a build (a refused resource, a
    limit) is raised as an error on its own, and the PDF is written (--strict refuses it).
    """
    level = "warning"
    missing = re.search(r"No anchor #(\S+)", message)
    if missing and missing.group(1) in anchors:
        ref = anchors[missing.group(1)]
        return Diagnostic(
            ref.source, ref.line, None, level, f"link to {ref.target}: no such anchor"
        )
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
                return Diagnostic(shown, line, col, level, message)
    return Diagnostic("weasyprint", None, None, level, message)


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


PDF_VARIANTS = ("pdf/a-3b", "pdf/ua-1")


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


def check_stylesheet(css: str, root: Path, key: str = "print_css") -> Path:
    path = root / css
    if not path.is_file():
        raise BuildError(css, "stylesheet not found", f"create it, or set {key} in report.toml")
    return path


def make_fetcher(resources: ProjectResources):
    """A WeasyPrint URL fetcher that asks `resources` before it reads anything."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class ProjectFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            body, mime = resources.read(url)
            return URLFetcherResponse(url, body=body, headers={"Content-Type": mime})

    return ProjectFetcher()


class _LimitReached(BaseException):
    """Raised from WeasyPrint's progress log to stop a runaway layout (BaseException, so that
    no `except Exception` inside the engine swallows it)."""


class _Limits(logging.Handler):
    """Watches WeasyPrint's per-page progress: stop past `max_pages` or `seconds`."""

    def __init__(self, max_pages: int, seconds: float) -> None:
        super().__init__(logging.INFO)
        self.max_pages = max_pages
        self.deadline = time.monotonic() + seconds
        self.seconds = seconds
        self.why = ""

    def emit(self, record: logging.LogRecord) -> None:
        found = re.search(r"Page (\d+)", record.getMessage())
        if found:
            progress.current.page(int(found.group(1)))
        if found and int(found.group(1)) > self.max_pages:
            self.why = f"the layout passed {self.max_pages} pages"
            raise _LimitReached(self.why)
        if time.monotonic() > self.deadline:
            self.why = f"the layout took longer than {self.seconds:g} s"
            raise _LimitReached(self.why)


@contextlib.contextmanager
def limits(max_pages: int, seconds: float) -> Iterator[_Limits]:
    logger = logging.getLogger("weasyprint.progress")
    guard = _Limits(max_pages, seconds)
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


@contextlib.contextmanager
def page_numbers(first: int, total: int) -> Iterator[None]:
    """Number the pages of the next layout from `first`, out of `total`: WeasyPrint gives the
    page counters to the margin boxes of each page as it makes them, and we set them there."""
    import weasyprint.layout as layout

    original = layout.make_margin_boxes

    def numbered(context, page, state):
        counters = state[1]
        counters["page"] = [first + context.current_page - 1]
        counters["pages"] = [total]
        return original(context, page, state)

    layout.make_margin_boxes = numbered
    try:
        yield
    finally:
        layout.make_margin_boxes = original


@dataclass(frozen=True)
class Rendered:
    data: bytes
    pages: int
    diagnostics: list[Diagnostic]
    inputs: tuple[Path, ...]


@dataclass(frozen=True)
class Layout:
    """One HTML document to lay out, with what the engine needs of the Book and no more: the
    project's settings (root, limits, paper), the clock, and which file asked for each URL
    and each link (for errors that name their source). Plain data, so it can be made in
    another process (build.py) and shared by the parts of a parallel build."""

    config: Config
    created: datetime.datetime
    html: str
    origins: dict[str, str]
    anchors: dict = field(default_factory=dict)  # fragment -> references.Reference

    @classmethod
    def of(cls, book: Book, html: str, stylesheet: str = "") -> Layout:
        from build_report.markup.links import anchor_links, origins

        css = stylesheet or book.config.build.print_css
        return cls(book.config, book.created, html, origins(book, css), anchor_links(book))

    @property
    def root(self) -> Path:
        return self.config.root


@contextlib.contextmanager
def engine(layout: Layout, options: PdfOptions) -> Iterator[tuple[ProjectResources, _Collector]]:
    """WeasyPrint at work on `layout`: every resource through the project's gatekeeper, its
    messages collected, the configured page and time limits watched, and what stops it
    turned into an error for the user."""
    settings = layout.config.build
    resources = ProjectResources(
        layout.root, allow_network=options.allow_network, origins=layout.origins
    )
    try:
        with captured_weasyprint_logs() as logs, limits(settings.max_pages, settings.time_limit):
            yield resources, logs
    except _LimitReached as stop:
        raise BuildError(
            "report.toml",
            f"stopped: {stop}",
            "look for runaway CSS or content, or raise max_pages / time_limit under [build]",
        ) from None
    except (RecursionError, MemoryError) as exc:
        kind = "too deeply nested" if isinstance(exc, RecursionError) else "too large"
        raise BuildError(
            "chapters", f"the document is {kind} to lay out", "simplify the content or CSS"
        ) from None
    resources.raise_first_refusal()


def html_document(layout: Layout, resources: ProjectResources):
    import weasyprint

    return weasyprint.HTML(
        string=layout.html,
        base_url=layout.root.resolve().as_uri() + "/",
        url_fetcher=make_fetcher(resources),
    )


def checked(layout: Layout, options: PdfOptions, resources, logs) -> list[Diagnostic]:
    """The engine's messages as diagnostics; under --strict the first is an error."""
    return strictly(logs.diagnostics(resources, layout.anchors), options)


def strictly(diagnostics: list[Diagnostic], options: PdfOptions) -> list[Diagnostic]:
    """`diagnostics`, unless --strict makes the first of them an error."""
    if options.strict and diagnostics:
        first = diagnostics[0]
        raise BuildError(
            first.path,
            f"{first.message} (a warning, an error under --strict)",
            "fix it, or build without --strict",
            first.line,
        )
    return diagnostics


def render_pdf(layout: Layout, options: PdfOptions) -> Rendered:
    """HTML -> PDF bytes with WeasyPrint (see `engine`)."""
    extra = {"pdf_variant": options.pdf_variant} if options.pdf_variant else {}
    with engine(layout, options) as (resources, logs):
        page = html_document(layout, resources)
        document = roomy(lambda: page.render(**extra))
        # PDF/A wants a file identifier; pydyf computes it by serializing every object a
        # second time (about 5% of a build), so plain PDFs go without, as WeasyPrint's do.
        ident = {"pdf_identifier": _identifier(layout)} if options.pdf_variant else {}
        data = roomy(lambda: document.write_pdf(**ident, **extra))
    diagnostics = checked(layout, options, resources, logs)
    pages = len(document.pages)
    if options.booklet or options.n_up > 1:
        from build_report.pdf.impose import booklet, n_up

        paper = PAPER_POINTS[layout.config.build.paper]
        data = booklet(data, paper) if options.booklet else n_up(data, options.n_up)
    return Rendered(data, pages, diagnostics, tuple(dict.fromkeys(resources.served)))


def write_pdf(
    book: Book, output: Path, options: PdfOptions, *, emit_html: Path | None = None
) -> PdfResult:
    """Lay out the print HTML and write the PDF atomically; return what was written."""
    job, jobs = print_job(book, output, options, emit_html)
    return write_job(job, jobs, output, options)


def print_job(book: Book, output: Path, options: PdfOptions, emit_html: Path | None = None):
    """What the engine lays out, as plain data: a Layout and 1, or for a book laid out by
    several processes, a parallel.Plan and their number."""
    jobs = parallel_jobs(book, options, emit_html)
    if jobs > 1:
        from build_report.pdf.parallel import plan

        return plan(book, output), jobs
    return print_layout(book, output, options, emit_html), 1


def write_job(job, jobs: int, output: Path, options: PdfOptions) -> PdfResult:
    """Lay out and write what `print_job` (or a handout's layout) made."""
    if jobs > 1:
        from build_report.pdf.parallel import run

        return run(job, output, options, jobs)
    return write_layout(job, output, options)


def parallel_jobs(book: Book, options: PdfOptions, emit_html: Path | None = None) -> int:
    """How many processes lay out this book: 1 unless --jobs asks for more and it can."""
    check_stylesheet(book.config.build.print_css, book.root)
    plain = not (options.booklet or options.n_up > 1 or options.pdf_variant or emit_html)
    if not plain or len(book.chapters) < 2:
        return 1
    return min(_jobs(book, options.jobs), len(book.chapters))


def print_layout(
    book: Book, output: Path, options: PdfOptions, emit_html: Path | None = None
) -> Layout:
    """Everything before the engine: checks, the print HTML (and --emit-html's copy)."""
    from build_report.html.documents import render_print

    check_stylesheet(book.config.build.print_css, book.root)
    files.check_target(output, book.root)
    html = render_print(book, booklet=options.booklet)
    if emit_html is not None:
        files.check_target(emit_html, book.root)
        files.write_text(
            emit_html, render_print(book, html_dir=emit_html.parent, booklet=options.booklet)
        )
    return Layout.of(book, html)


def write_layout(layout: Layout, output: Path, options: PdfOptions) -> PdfResult:
    """The engine's part: lay out, write the PDF atomically, say what was written."""
    progress.current.stage("laying out")
    done = render_pdf(layout, options)
    progress.current.stage("writing")
    files.write_bytes(output, done.data)
    return PdfResult(output, done.pages, done.diagnostics, done.inputs)


PARALLEL_FROM_CHARS = (
    200_000  # below this (about 60 pages) extra processes cost more than they save
)


def _jobs(book: Book, asked: int) -> int:
    """--jobs N is taken as said; --jobs 0 means one process per core for a long book."""
    if asked != 0:
        return asked
    import os

    size = sum(len(t.content) for ch in book.chapters for t in ch.tokens)
    return (os.cpu_count() or 1) if size >= PARALLEL_FROM_CHARS else 1


def _identifier(layout: Layout) -> bytes:
    """A stable PDF /ID from the config, so the same sources give the same file."""
    import hashlib

    report = layout.config.report
    seed = f"{report.slug}\n{report.title}\n{layout.created.isoformat()}"
    return hashlib.md5(seed.encode(), usedforsecurity=False).hexdigest().encode()
