"""One function per command: load the project, make the Book, hand it to the writers."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from build_report import console as progress
from build_report.project.config import load_config
from build_report.errors import Diagnostic
from build_report.project.model import Book


@dataclass(frozen=True)
class Options:
    """What the CLI parsed; plain values, so builds can be driven from Python too."""

    project: Path = Path(".")
    output: Path | None = None
    paper: str | None = None
    strict: bool = False
    emit_html: Path | None = None
    edition: str = "student"
    chapters: str | None = None
    pdf_variant: str | None = None
    booklet: bool = False
    n_up: int = 1
    check: bool = False
    allow_network: bool = False
    no_cache: bool = False
    jobs: int = 1

    def pdf_options(self):
        from build_report.pdf.adapter import PdfOptions

        return PdfOptions(
            pdf_variant=self.pdf_variant,
            booklet=self.booklet,
            n_up=self.n_up,
            strict=self.strict,
            allow_network=self.allow_network,
            jobs=self.jobs,
            reuse_parts=not self.no_cache,
        )


@dataclass(frozen=True)
class Written:
    """One output of a run, for the summary table and SHA256SUMS."""

    path: Path
    pages: int | None = None
    files: int | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    inputs: tuple[Path, ...] = ()
    cached: bool = False


def load_book(config):
    """Read and parse every chapter (imported here: a cache hit never needs Markdown)."""
    from build_report.project.chapters import load_book as read

    return read(config)


def prepare(book: Book, options: Options) -> Book:
    from build_report.project.editions import apply_edition, select_chapters

    return select_chapters(apply_edition(book, options.edition), options.chapters)


def default_path(book: Book, kind: str, options: Options) -> Path:
    """build/<slug>.pdf, build/<slug>-teacher.epub, build/<slug>-handout-student-booklet.pdf..."""
    from build_report.files import output_folder

    config = book.config
    folder = output_folder(config.root, config.build.output_dir)
    edition = "" if book.edition.name == "student" else f"-{book.edition.name}"
    if kind == "html":
        return folder / f"html{edition}"
    if kind == "handout":
        edition = f"-{book.edition.name}"
    imposed = "-booklet" if options.booklet else (f"-{options.n_up}up" if options.n_up > 1 else "")
    variant = (
        f"-{options.pdf_variant.replace('/', '').replace('-', '')}"
        if (options.pdf_variant and kind != "epub")
        else ""
    )
    name = {"pdf": "", "handout": "-handout", "epub": ""}[kind]
    suffix = ".epub" if kind == "epub" else ".pdf"
    return folder / f"{config.report.slug}{name}{edition}{variant}{imposed}{suffix}"


def _pdf(book: Book, options: Options, output: Path | None = None) -> Written:
    from build_report.pdf.adapter import write_pdf

    path = output or options.output or default_path(book, "pdf", options)
    result = write_pdf(book, path, options.pdf_options(), emit_html=options.emit_html)
    return Written(result.path, result.pages, None, result.diagnostics, result.inputs)


def _handout(book: Book, options: Options, output: Path | None = None) -> Written:
    from build_report.pdf.handout import write_handout

    path = output or options.output or default_path(book, "handout", options)
    result = write_handout(book, path, options.pdf_options(), options.chapters)
    return Written(result.path, result.pages, None, result.diagnostics, result.inputs)


def _html(book: Book, options: Options, output: Path | None = None) -> Written:
    from build_report.ebook.writer import write_html

    result = write_html(
        book, output or options.output or default_path(book, "html", options), strict=options.strict
    )
    return Written(result.path, None, result.files, result.diagnostics)


def _epub(book: Book, options: Options, output: Path | None = None) -> Written:
    from build_report.ebook.writer import write_epub

    path = output or options.output or default_path(book, "epub", options)
    result = write_epub(book, path, strict=options.strict, check=options.check)
    return Written(result.path, None, result.files, result.diagnostics, result.inputs)


WRITERS = {"pdf": _pdf, "handout": _handout, "html": _html, "epub": _epub}


def _print_job(config, kind: str, options: Options):
    """The output path and what a PDF or handout build lays out (pdf.print_job), worked out
    from the Book. Runs in a child process (overlap.py); everything it returns is plain data."""
    from build_report.pdf.handout import handout_layout
    from build_report.pdf.adapter import print_job

    book = prepare(load_book(config), options)
    progress.current.stage(f"building {kind}")
    path = options.output or default_path(book, kind, options)
    settings = options.pdf_options()
    if kind == "handout":
        return path, handout_layout(book, path, settings, options.chapters), 1
    return path, *print_job(book, path, settings, options.emit_html)


def _laid_out(config, kind: str, options: Options) -> Written:
    """A PDF or handout whose chapters are read and rendered in a child process while this
    one imports WeasyPrint (overlap.py)."""
    from build_report.processes import in_child
    from build_report.pdf.adapter import load_engine, write_job

    path, job, jobs = in_child(lambda: _print_job(config, kind, options), load_engine)
    result = write_job(job, jobs, path, options.pdf_options())
    return Written(result.path, result.pages, None, result.diagnostics, result.inputs)


CACHEABLE = ("pdf", "handout", "epub")


def _cacheable(kind: str, options: Options) -> bool:
    return (
        kind in CACHEABLE
        and not options.no_cache
        and options.emit_html is None
        and not options.check
        and not options.allow_network  # what a server sends is not ours to fingerprint
    )


def _from_cache(folder: Path, root: Path, kind: str, options: Options) -> Written | None:
    from build_report import cache

    if not _cacheable(kind, options):
        return None
    record = cache.lookup(folder, root, kind, options)
    if record is None:
        return None
    return Written(Path(record["shown"]), record.get("pages"), record.get("files"), cached=True)


def _to_cache(folder: Path, root: Path, kind: str, options: Options, written: Written) -> None:
    from build_report import cache

    if _cacheable(kind, options) and not written.diagnostics:
        cache.store(
            folder,
            root,
            kind,
            options,
            written.path,
            written.inputs,
            shown=str(written.path),
            pages=written.pages,
            files=written.files,
        )


def build(kind: str, options: Options) -> Written:
    """Build one output (the `pdf`, `handout`, `html` and `epub` commands), or reuse it when
    nothing it is made from has changed."""
    from build_report.files import output_folder, update_sums

    config = load_config(options.project, paper=options.paper)
    folder = output_folder(config.root, config.build.output_dir)
    written = _from_cache(folder, config.root, kind, options)
    if written is None:
        progress.current.stage("reading chapters")
        if kind in ("pdf", "handout"):
            written = _laid_out(config, kind, options)
        else:
            book = prepare(load_book(config), options)
            progress.current.stage(f"building {kind}")
            written = WRITERS[kind](book, options)
        _to_cache(folder, config.root, kind, options, written)
    progress.current.stage("done")
    progress.current.clear()
    update_sums(folder, [written.path])
    return written


def build_all(options: Options) -> list[Written]:
    """Every output in one run: the chapters are read and parsed once (and not at all when
    every output can be reused), then each edition and format is a transform and a render."""
    from build_report.files import output_folder, update_sums

    config = load_config(options.project, paper=options.paper)
    folder = output_folder(config.root, config.build.output_dir)
    single = replace(options, output=None, emit_html=None)
    plain = replace(single, booklet=False, n_up=1)
    jobs = [("pdf", plain), ("html", plain), ("epub", plain)]
    jobs += [("handout", replace(single, edition=name)) for name in config.editions]
    base: Book | None = None
    written = []
    for kind, job in jobs:
        done = _from_cache(folder, config.root, kind, job)
        if done is None:
            if base is None:
                progress.current.stage("reading chapters")
                base = load_book(config)
            progress.current.stage(f"building {kind} ({job.edition})")
            done = WRITERS[kind](prepare(base, job), job)
            _to_cache(folder, config.root, kind, job, done)
        written.append(done)
    update_sums(folder, [w.path for w in written])
    progress.current.clear()
    return written
