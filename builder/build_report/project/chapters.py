"""Read the chapter files: strict UTF-8, size caps, ordering, safe links; front matter in
frontmatter.py."""

from __future__ import annotations

import re
from pathlib import Path

from build_report import console
from build_report.errors import BuildError, Diagnostic
from build_report.markup.parser import parse
from build_report.markup.slugs import slugify
from build_report.project.clock import build_clock
from build_report.project.config import Config
from build_report.project.frontmatter import (
    aids,
    check_keys,
    line_of,
    parse_front_matter,
    split_front_matter,
)
from build_report.project.model import Book, Chapter

CHAPTERS_DIR = "chapters"
MAX_CHAPTER_BYTES = 2 * 1024 * 1024


def read_text(path: Path, shown: str, limit: int = MAX_CHAPTER_BYTES) -> str:
    """UTF-8 only, capped in size; errors name the file and the byte offset."""
    size = path.stat().st_size
    if size > limit:
        raise BuildError(
            shown,
            f"file is {size} bytes, over the limit of {limit}",
            "split it into smaller chapters",
        )
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BuildError(
            shown, f"not valid UTF-8 at byte {exc.start}", "save the file as UTF-8", line
        ) from None
    return text.removeprefix("\ufeff")


def load_chapter(path: Path, number: int, slug: str, shown: str) -> Chapter:
    text = read_text(path, shown)
    front, body, body_line = split_front_matter(text)
    if body_line == -1:
        raise BuildError(
            shown,
            "front matter has no closing '---' line",
            "end the front matter with a line of three hyphens",
            1,
        )
    meta = parse_front_matter(front, shown) if front is not None else {}
    check_keys(meta, front or "", shown)
    title = meta.get("title")
    if title is None:
        found = re.match(r"\s*#[ \t]+(.+?)[ \t#]*(\r?\n|$)", body)
        if not found:
            raise BuildError(
                shown,
                "chapter has no title",
                "add 'title: ...' to its front matter or start it with '# Title'",
                1,
            )
        title, body = found.group(1), body[found.end() :]
    if not isinstance(title, str) or not title.strip():
        raise BuildError(
            shown,
            "front matter 'title' must be a non-empty string",
            "write title: Your chapter title",
            line_of(front or "", "title"),
        )
    fields = aids(meta, front or "", shown)
    tokens, env = parse(body, slug)
    return Chapter(
        number=number,
        slug=slug,
        title=title.strip(),
        source=shown,
        body_line=body_line,
        tokens=tuple(tokens),
        env=env,
        **fields,
    )


def chapter_slug(path: Path) -> str:
    """`03-key-interactions.md` -> `key-interactions`: the number orders, the name identifies."""
    return slugify(re.sub(r"^\d+[-_ .]*", "", path.stem)) or slugify(path.stem)


def chapter_files(config: Config) -> list[Path]:
    folder = config.root / CHAPTERS_DIR
    if not folder.is_dir():
        raise BuildError(
            CHAPTERS_DIR,
            "no chapters folder",
            "create chapters/ and put one .md file per chapter in it",
        )
    if config.build.chapters:
        files = []
        for name in config.build.chapters:
            path = folder / name
            if not path.is_file():
                raise BuildError(
                    "report.toml",
                    f"chapter '{name}' listed in [build] chapters is not in chapters/",
                    "fix the name or create the file",
                )
            files.append(path)
        return [_inside(config, path) for path in files]
    files = sorted(p for p in folder.iterdir() if p.suffix == ".md" and p.is_file())
    if not files:
        raise BuildError(
            CHAPTERS_DIR,
            "chapters/ has no .md files",
            "add one Markdown file per chapter, e.g. chapters/01-introduction.md",
        )
    return [_inside(config, path) for path in files]


def _inside(config: Config, path: Path) -> Path:
    """A chapter (or the chapters folder) may be a symbolic link, but not to outside the
    project: reading it would copy a file from elsewhere into the outputs."""
    root = config.root.resolve()
    real = path.resolve()
    shown = f"{CHAPTERS_DIR}/{path.name}"
    if root not in real.parents or ".git" in real.relative_to(root).parts:
        raise BuildError(
            shown, "leads outside the project (a symbolic link)", "copy the file into chapters/"
        )
    return path


def load_book(config: Config, problems: list[Diagnostic] | None = None) -> Book:
    """Read every chapter once; every output is made from the Book this returns.

    Every command reads the project through here. With a `problems` list (check), a chapter
    that cannot be read is reported there and left out, and the others are still read.
    """
    chapters = []
    used: set[str] = set()
    for number, path in enumerate(chapter_files(config), start=1):
        slug = base = chapter_slug(path)
        n = 1
        while slug in used:
            n += 1
            slug = f"{base}-{n}"
        used.add(slug)
        shown = f"{CHAPTERS_DIR}/{path.name}"
        console.current.stage(f"reading {shown}")
        try:
            chapters.append(load_chapter(path, number, slug, shown))
        except BuildError as exc:
            if problems is None:
                raise
            problems.append(exc.diagnostic())
    return Book(config=config, chapters=tuple(chapters), created=build_clock())
