"""One function per command: load the project, make the Book, hand it to the writers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from builder.config import load_config
from builder.content import load_book
from builder.editions import apply_edition, select_chapters
from builder.errors import Diagnostic
from builder.model import Book


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

    def pdf_options(self):
        from builder.pdf import PdfOptions

        return PdfOptions(
            self.pdf_variant, self.booklet, self.n_up, self.strict, self.allow_network
        )


@dataclass(frozen=True)
class Written:
    """One output of a run, for the summary table and SHA256SUMS."""

    path: Path
    pages: int | None = None
    files: int | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)


def load(options: Options) -> Book:
    """Read and parse the project once; editions and selections are transforms of the Book."""
    config = load_config(options.project, paper=options.paper)
    return load_book(config)


def prepare(book: Book, options: Options) -> Book:
    return select_chapters(apply_edition(book, options.edition), options.chapters)


def default_path(book: Book, kind: str, options: Options) -> Path:
    """build/<slug>.pdf, build/<slug>-teacher.epub, build/<slug>-handout-student-booklet.pdf..."""
    from builder.files import output_folder

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
    from builder.pdf import write_pdf

    path = output or options.output or default_path(book, "pdf", options)
    result = write_pdf(book, path, options.pdf_options(), emit_html=options.emit_html)
    return Written(result.path, result.pages, None, result.diagnostics)


def _handout(book: Book, options: Options, output: Path | None = None) -> Written:
    from builder.handout import write_handout

    path = output or options.output or default_path(book, "handout", options)
    result = write_handout(book, path, options.pdf_options(), options.chapters)
    return Written(result.path, result.pages, None, result.diagnostics)


def _html(book: Book, options: Options, output: Path | None = None) -> Written:
    from builder.epub import write_html

    result = write_html(
        book, output or options.output or default_path(book, "html", options), strict=options.strict
    )
    return Written(result.path, None, result.files, result.diagnostics)


def _epub(book: Book, options: Options, output: Path | None = None) -> Written:
    from builder.epub import write_epub

    path = output or options.output or default_path(book, "epub", options)
    result = write_epub(book, path, strict=options.strict, check=options.check)
    return Written(result.path, None, result.files, result.diagnostics)


WRITERS = {"pdf": _pdf, "handout": _handout, "html": _html, "epub": _epub}


def build(kind: str, options: Options) -> Written:
    """Build one output (the `pdf`, `handout`, `html` and `epub` commands)."""
    from builder.files import update_sums

    book = prepare(load(options), options)
    written = WRITERS[kind](book, options)
    update_sums(book.root / book.config.build.output_dir, [written.path])  # only if inside
    return written


def build_all(options: Options) -> list[Written]:
    """Every output in one run: the chapters are read and parsed once, then each edition and
    format is a transform and a render of that one Book."""
    from builder.files import update_sums

    base = load(options)
    default = prepare(base, options)
    single = Options(**{**options.__dict__, "output": None, "emit_html": None})
    plain = Options(**{**single.__dict__, "booklet": False, "n_up": 1})
    written = [_pdf(default, plain), _html(default, plain), _epub(default, plain)]
    for name in base.config.editions:
        edition = prepare(base, Options(**{**single.__dict__, "edition": name}))
        written.append(_handout(edition, Options(**{**single.__dict__, "edition": name})))
    update_sums(base.root / base.config.build.output_dir, [w.path for w in written])
    return written
