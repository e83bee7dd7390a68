"""`stats`: words, reading time, footnotes and images per chapter; pages in the last PDF."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

WORDS_PER_MINUTE = 230


@dataclass(frozen=True)
class ChapterStats:
    number: int
    title: str
    source: str
    words: int
    reading_minutes: int
    footnotes: int
    images: int


@dataclass(frozen=True)
class BookStats:
    chapters: list[ChapterStats]
    words: int
    reading_minutes: int
    footnotes: int
    images: int
    pdf: str | None
    pdf_pages: int | None

    def as_dict(self) -> dict:
        return asdict(self)


def _plain_words(chapter) -> int:
    """The words a reader reads once: a pull quote that repeats the text is not counted."""
    words, repeating = 0, 0
    for token in chapter.tokens:
        if token.type == "footnote_block_open":
            break
        if token.type == "div_open" and (repeating or token.attrGet("aria-hidden")):
            repeating += 1
        elif token.type == "div_close" and repeating:
            repeating -= 1
        elif repeating:
            continue
        elif token.type == "inline":  # its children are flat; an image's alt text is not read
            text = " ".join(
                child.content
                for child in token.children or []
                if child.type in ("text", "code_inline", "softbreak", "hardbreak")
            )
            words += len(text.split())
        elif token.type in ("fence", "code_block"):
            words += len(token.content.split())
    return words


def _minutes(words: int) -> int:
    return math.ceil(words / WORDS_PER_MINUTE) if words else 0


def _last_pdf(config) -> Path:
    """Where `pdf` writes; refused if it leads outside the project (`..` in output_dir, or a
    symbolic link), where stats would read and count someone else's file."""
    from build_report.errors import BuildError
    from build_report.files import output_folder

    folder = output_folder(config.root, config.build.output_dir)
    pdf = folder / f"{config.report.slug}.pdf"
    if pdf.is_symlink() or folder.resolve() not in pdf.resolve().parents:
        raise BuildError(
            f"{config.build.output_dir}/{pdf.name}",
            "is a symbolic link",
            "remove it and run build-report pdf",
        )
    return pdf


def book_stats(project: Path) -> BookStats:
    from build_report.commands.build import read_in_time
    from build_report.markup.references import chapter_references
    from build_report.project.config import load_config

    config = load_config(project)
    book = read_in_time(config)
    rows = []
    for chapter in book.chapters:
        words = _plain_words(chapter)
        notes = len(chapter.env.get("footnotes", {}).get("list", {}))
        images = sum(1 for r in chapter_references(chapter) if r.kind == "image")
        rows.append(
            ChapterStats(
                chapter.number, chapter.title, chapter.source, words, _minutes(words), notes, images
            )
        )
    pdf = _last_pdf(config)
    pages = None
    if pdf.is_file():
        from pypdf import PdfReader

        try:
            pages = len(PdfReader(pdf).pages)
        except Exception:  # noqa: BLE001 - a damaged old PDF just has no page count
            pages = None
    total = sum(r.words for r in rows)
    return BookStats(
        rows,
        total,
        _minutes(total),
        sum(r.footnotes for r in rows),
        sum(r.images for r in rows),
        str(pdf) if pages is not None else None,
        pages,
    )


def show(result: BookStats, as_json: bool) -> None:
    """The stats as a table (or JSON, for scripts)."""
    import json

    import click

    from build_report.console import table

    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2))
        return
    rows = [("#", "chapter", "words", "minutes", "notes", "images")]
    for ch in result.chapters:
        rows.append(
            tuple(
                map(
                    str,
                    (ch.number, ch.title, ch.words, ch.reading_minutes, ch.footnotes, ch.images),
                )
            )
        )
    total = ("", "total", result.words, result.reading_minutes, result.footnotes, result.images)
    rows.append(tuple(map(str, total)))
    table(rows, right=(0, 2, 3, 4, 5))
    if result.pdf_pages is not None:
        click.echo(f"{result.pdf}: {result.pdf_pages} pages")
    else:
        click.echo("no PDF built yet (build-report pdf)")
