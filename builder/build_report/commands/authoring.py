"""The authoring loop's small tools: `init`, `new` and `stats`."""

from __future__ import annotations

import math
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from build_report.errors import BuildError

SKELETON = Path(__file__).parent.parent / "skeleton"
WORDS_PER_MINUTE = 230


def init_project(folder: Path, title: str, author: str) -> list[Path]:
    """A new project that builds as it is: report.toml, two sample chapters, default styles."""
    if (folder / "report.toml").exists():
        raise BuildError(
            folder / "report.toml", "a project already exists here", "choose an empty folder"
        )
    if folder.exists() and any(p for p in folder.iterdir() if not p.name.startswith(".")):
        raise BuildError(folder, "the folder is not empty", "choose a new or empty folder")
    folder.mkdir(parents=True, exist_ok=True)
    toml = (SKELETON / "report.toml").read_text(encoding="utf-8")
    toml = toml.replace("{title}", _toml_string(title)).replace("{author}", _toml_string(author))
    (folder / "report.toml").write_text(toml, encoding="utf-8")
    shutil.copytree(SKELETON / "chapters", folder / "chapters")
    shutil.copytree((SKELETON / "styles").resolve(), folder / "styles")
    (folder / ".gitignore").write_text("build/\n", encoding="utf-8")
    return [folder / "report.toml", folder / "chapters", folder / "styles"]


def _toml_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def new_chapter(project: Path, title: str) -> Path:
    """The next numbered chapter file, with its front matter."""
    from build_report.project.config import slugify

    folder = project / "chapters"
    if not (project / "report.toml").is_file():
        raise BuildError(
            "report.toml",
            "not a build-report project",
            "run it in a project folder, pass -C DIR, or run build-report init",
        )
    if not title.strip():
        raise BuildError("title", "the chapter title is empty", "give a title in quotes")
    folder.mkdir(exist_ok=True)
    numbers = [int(m.group(1)) for p in folder.glob("*.md") if (m := re.match(r"(\d+)", p.name))]
    number = max(numbers, default=0) + 1
    path = folder / f"{number:02d}-{slugify(title)}.md"
    if path.exists():
        raise BuildError(path, "already exists", "choose another title")
    quoted = '"' + title.replace("\\", "\\\\").replace('"', '\\"') + '"'
    path.write_text(f"---\ntitle: {quoted}\n---\n\n", encoding="utf-8")
    return path


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
    words = 0
    for token in chapter.tokens:
        if token.type == "footnote_block_open":
            break
        if token.type == "inline":  # its children are flat; an image's alt text is not read
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


def book_stats(project: Path) -> BookStats:
    from build_report.project.config import load_config
    from build_report.project.chapters import load_book
    from build_report.markup.links import chapter_references

    config = load_config(project)
    book = load_book(config)
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
    pdf = config.root / config.build.output_dir / f"{config.report.slug}.pdf"
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
