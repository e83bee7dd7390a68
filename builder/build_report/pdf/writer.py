"""The PDF and handout writers: one process or several (parallel.py), decided in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from build_report import console, files, processes
from build_report.pdf.adapter import (
    Layout,
    PdfOptions,
    check_stylesheet,
    lay_out,
    read_for_engine,
    strictly,
)
from build_report.project.model import Book
from build_report.writers import Options, Written, output_path

# below this (about 60 pages) other processes cost more than they save: bench/README.md
PARALLEL_FROM_CHARS = 200_000


def pdf_options(options: Options) -> PdfOptions:
    return PdfOptions(
        pdf_variant=options.pdf_variant,
        booklet=options.booklet,
        n_up=options.n_up,
        strict=options.strict,
        allow_network=options.allow_network,
        jobs=options.jobs,
        reuse_parts=not options.no_cache,
        deadline=processes.clock(),
    )


@dataclass(frozen=True)
class PrintJob:
    """What the engine lays out, as plain data: a Layout for one process, or a parallel.Plan
    for `jobs` of them."""

    path: Path
    work: object  # Layout or parallel.Plan
    jobs: int
    options: PdfOptions


class PdfWriter:
    kind = "pdf"
    uses_engine = True

    def prepare(self, book: Book, options: Options) -> PrintJob:
        path = output_path(book, self.kind, options)
        settings = pdf_options(options)
        check_stylesheet(book.config.build.print_css, book.root)
        files.check_target(path, book.root, force=options.may_replace)
        jobs = parallel_jobs(book, settings, options.emit_html)
        if options.live and jobs == 1 and plain_pdf(settings, options.emit_html):
            jobs = max(cores(), 2)  # the live PDF is made of parts, however short the book
        if jobs > 1:
            from build_report.pdf.parallel import LIVE_PART_CHARS, PART_CHARS, plan

            # live: small parts, so that an edit lays out little more than its chapter
            part_chars = LIVE_PART_CHARS if options.live else PART_CHARS
            work = plan(book, path, part_chars, live=options.live)
            read_for_engine(book, [html for html, _ in (*work.parts, work.front)])
            return PrintJob(path, work, jobs, settings)
        layout = print_layout(book, settings, options.emit_html)
        read_for_engine(book, [layout.html])
        return PrintJob(path, layout, 1, settings)

    def write(self, job: PrintJob) -> Written:
        """Lay out in a child process that the build's watchdog kills at its deadline (the
        engine cannot always be interrupted: processes.py); this process writes the PDF, so a
        build stopped by its time limit writes nothing."""
        data, written = processes.in_child(lambda: lay_out_job(job), deadline=job.options.deadline)
        console.current.step("writing", 0.98, 1.0)
        files.write_bytes(job.path, data)
        return written


class HandoutWriter(PdfWriter):
    kind = "handout"

    def prepare(self, book: Book, options: Options) -> PrintJob:
        from build_report.pdf.handout import handout_layout

        path = output_path(book, self.kind, options)
        settings = pdf_options(options)
        check_stylesheet(book.config.handout.css, book.root, key="css under [handout]")
        files.check_target(path, book.root, force=options.may_replace)
        if options.roster is not None:
            from build_report.pdf.roster import prepare_roster
            from build_report.project.roster import read_roster

            roster = read_roster(options.roster, book.root)
            return PrintJob(
                path, prepare_roster(book, roster, settings, options.chapters), 1, settings
            )
        return PrintJob(path, handout_layout(book, settings, options.chapters), 1, settings)


def parallel_jobs(book: Book, options: PdfOptions, emit_html: Path | None = None) -> int:
    """How many processes lay out this book: 1 unless --jobs asks for more and it can (and
    the installed engine is one whose internals parallel layout was tested with)."""
    from build_report.markup.apparatus import prints_pages
    from build_report.pdf.internals import supported

    plain = plain_pdf(options, emit_html)
    units = sum(len(split_points(ch)) + 1 for ch in book.chapters)
    flowing = book.config.build.chapter_break == "none"  # parts start on pages of their own
    if not plain or units < 2 or not supported() or prints_pages(book) or flowing or book.since:
        return 1  # a page a reference prints is known only when one process lays out all
    return min(_jobs(book, options.jobs), units)


def plain_pdf(options: PdfOptions, emit_html: Path | None = None) -> bool:
    """A PDF that can be made of parts: no imposition, no PDF/A or UA variant, no HTML copy."""
    return not (options.booklet or options.n_up > 1 or options.pdf_variant or emit_html)


def split_points(chapter) -> list[int]:
    """Where a long chapter is cut (split.py), estimated from its length alone: one cut per
    PIECE_CHARS beyond the first."""
    from build_report.pdf.split import PIECE_CHARS, SPLIT_FROM_CHARS, size

    length = size(chapter)
    return [] if length < SPLIT_FROM_CHARS else list(range(length // PIECE_CHARS - 1))


def _jobs(book: Book, asked: int) -> int:
    """--jobs N is taken as said; --jobs 0 (the default) means one process per core this
    process may run on, for a book whose estimated work is worth it, and one process below
    that (a short book would only pay for starting the others: bench/README.md)."""
    if asked != 0:
        return asked
    from build_report.pdf.split import size

    total = sum(size(ch) for ch in book.chapters)
    return cores() if total >= PARALLEL_FROM_CHARS else 1


def cores() -> int:
    """The cores this process may run on (its affinity, where the platform says: a container
    or `taskset` may allow fewer than the machine has)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def print_layout(book: Book, options: PdfOptions, emit_html: Path | None = None) -> Layout:
    """Everything before the engine: the print HTML (and --emit-html's copy)."""
    from build_report.html.documents import print_document

    html = print_document(book, booklet=options.booklet)
    if emit_html is not None:
        files.check_target(emit_html, book.root)
        files.write_text(
            emit_html, print_document(book, html_dir=emit_html.parent, booklet=options.booklet)
        )
    return Layout.of(book, html)


def lay_out_job(job: PrintJob) -> tuple[bytes, Written]:
    """The engine's part, in one process or several: the PDF's bytes, and what it will be."""
    from build_report.pdf.roster import RosterJob, lay_out_roster

    if isinstance(job.work, RosterJob):
        return lay_out_roster(job.work, job.path, job.options)
    if job.jobs > 1:
        from build_report.pdf.parallel import run

        return run(job.work, job.path, job.options, job.jobs)
    return render_layout(job.work, job.path, job.options)


HTML_PER_PAGE = 2_800  # characters of print HTML a page holds, about (the default briefing)


def estimated_pages(html: str) -> int:
    """How many pages `html` will make, roughly: for the progress bar only."""
    return max(1, len(html) // HTML_PER_PAGE)


def render_layout(layout: Layout, output: Path, options: PdfOptions) -> tuple[bytes, Written]:
    """Lay out one document: the PDF's bytes, and what `output` will be once written."""
    warnings = strictly(list(layout.warnings), options)  # before the engine: --strict stops
    # every page is laid out, then painted into the PDF (about as long again): a tick each
    console.current.step("laying out", 0.05, 0.98, 2 * estimated_pages(layout.html))
    done = lay_out(layout, options)
    book_pdf = layout.stylesheet == layout.config.build.print_css  # not a handout
    if done.starts and book_pdf and options.uses_store:
        _record_pages(layout, done)
    inputs = tuple(dict.fromkeys([*done.inputs, *layout.also_read]))
    return done.data, Written(output, done.pages, None, warnings + done.diagnostics, inputs)


def _record_pages(layout: Layout, done) -> None:
    """Leave where each page starts for the ebook of the same edition and paper (it would
    lay the book out again otherwise): pages/record.py."""
    from build_report.pages.record import PageStore, page_map_of

    store = PageStore(layout.root, layout.config.build.output_dir)
    store.put(layout.html, page_map_of(list(done.starts)), done.inputs)
