"""One function per command: load the project, make the Book, hand it to a writer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from builder.config import load_config
from builder.content import load_book
from builder.model import Book


@dataclass(frozen=True)
class Options:
    """What the CLI parsed; plain values, so builds can be driven from Python too."""

    project: Path = Path(".")
    output: Path | None = None
    paper: str | None = None
    strict: bool = False
    emit_html: Path | None = None


def load(options: Options) -> Book:
    config = load_config(options.project, paper=options.paper)
    return load_book(config)


def output_path(book: Book, options: Options, suffix: str) -> Path:
    if options.output is not None:
        return options.output
    return book.root / book.config.build.output_dir / f"{book.config.report.slug}{suffix}"


def build_pdf(options: Options):
    from builder.pdf import write_pdf

    book = load(options)
    return write_pdf(
        book, output_path(book, options, ".pdf"), emit_html=options.emit_html, strict=options.strict
    )


def build_html(options: Options):
    from builder.epub import write_html

    book = load(options)
    folder = options.output or book.root / book.config.build.output_dir / "html"
    return write_html(book, folder)


def build_epub(options: Options, check: bool = False):
    from builder.epub import run_epubcheck, write_epub

    book = load(options)
    result = write_epub(book, output_path(book, options, ".epub"))
    found = run_epubcheck(result.path) if check else []
    return result, found
