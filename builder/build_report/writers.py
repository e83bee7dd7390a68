"""The one writer interface: `prepare(book, options)` -> a job, `write(job)` -> Written.

`prepare` does everything that needs the Book (rendering, checks, output paths) and returns
plain data, so it can run in another process while the one that writes imports the engine
(commands/build.py). `write` lays out or zips and writes atomically. Every command that makes
an output, `all` included, goes through `writer(kind)`, so there is one path per format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from build_report.errors import Diagnostic
from build_report.project.model import Book

KINDS = ("pdf", "handout", "html", "epub")


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
    jobs: int = 0  # 0: automatic (pdf/writer.py: one process per core for a long book)
    force: bool = False  # replace an existing output file build-report did not write
    live: bool = False  # preview --pdf: every chapter a part, so an edit lays out its own
    roster: Path | None = None  # handout --roster: a copy per student (pdf/roster.py)
    since: str | None = None  # --since REV: change bars and "What changed" (project/changes.py)

    @property
    def may_replace(self) -> bool:
        """Whatever file is at the output path may be replaced: with --force, or when the path
        is the tool's own default name in its own output folder (build/ is ours), where a
        changed output is simply rebuilt."""
        return self.force or self.output is None


@dataclass(frozen=True)
class Written:
    """One output of a run, for the summary table, the cache and SHA256SUMS."""

    path: Path
    pages: int | None = None
    files: int | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    inputs: tuple[Path, ...] = ()  # every file the writer loaded (styles, fonts, images)
    cached: bool = False
    checked: list[Diagnostic] | None = None  # what EPUBCheck found (--check), else None


class Writer(Protocol):
    kind: str
    uses_engine: bool  # lays out with WeasyPrint: prepare elsewhere while it is imported

    def prepare(self, book: Book, options: Options) -> Any: ...

    def write(self, job: Any) -> Written: ...


def writer(kind: str) -> Writer:
    """The writer of one output format (imported only when asked for)."""
    if kind in ("pdf", "handout"):
        from build_report.pdf.writer import HandoutWriter, PdfWriter

        return PdfWriter() if kind == "pdf" else HandoutWriter()
    from build_report.ebook.writer import EpubWriter, HtmlWriter

    return HtmlWriter() if kind == "html" else EpubWriter()


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
    if kind == "handout" and options.roster is not None:
        edition += "-roster"
    suffix = ".epub" if kind == "epub" else ".pdf"
    return folder / f"{config.report.slug}{name}{edition}{variant}{imposed}{suffix}"


def output_path(book: Book, kind: str, options: Options) -> Path:
    return options.output or default_path(book, kind, options)
