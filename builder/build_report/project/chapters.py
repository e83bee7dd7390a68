"""Read the chapter files: strict UTF-8, size caps, ordering, safe links; front matter in
frontmatter.py."""

from __future__ import annotations

import re
from pathlib import Path

from build_report import console
from build_report.errors import BuildError, Diagnostic
from build_report.markup.parser import parse, shown_text
from build_report.markup.slugs import slugify
from build_report.project.clock import build_clock
from build_report.project.config import Config
from build_report.project.frontmatter import aids, check_keys, line_of, read_front
from build_report.project.languages import canonical, is_tag
from build_report.project.model import Book, Chapter
from build_report.project.text import xml_safe
from build_report.safe_open import NotInside, read_inside

CHAPTERS_DIR = "chapters"
MAX_CHAPTER_BYTES = 2 * 1024 * 1024


def read_text(path: Path, shown: str, root: Path, limit: int = MAX_CHAPTER_BYTES) -> str:
    """UTF-8 only, capped in size; errors name the file and the byte offset.

    The file is checked to be inside `root` and read through the same open (safe_open), so
    a chapter swapped for a symbolic link during the build cannot bring an outside file in.
    """
    base = root.resolve()
    real = path.resolve()
    size = real.stat().st_size if real.is_file() else 0
    if size > limit:
        raise BuildError(
            shown,
            f"file is {size} bytes, over the limit of {limit}",
            "split it into smaller chapters",
        )
    try:
        data = read_inside(base, real.relative_to(base), limit)
    except (NotInside, ValueError, OSError):
        raise BuildError(
            shown,
            "changed or left the project while it was read",
            "build again once the file stays put inside the project",
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BuildError(
            shown, f"not valid UTF-8 at byte {exc.start}", "save the file as UTF-8", line
        ) from None
    return xml_safe(text.removeprefix("\ufeff"))


def load_chapter(
    path: Path,
    number: int,
    slug: str,
    shown: str,
    config: Config,
    problems: list[Diagnostic] | None = None,
) -> Chapter:
    """One chapter file -> a Chapter. With `problems` (check), what is wrong in its front
    matter is reported there and the rest of the chapter is still read, so that one run
    reports every problem; without it, the first problem stops the build."""
    text = read_text(path, shown, config.root)
    front = read_front(text, shown, problems)
    warnings = check_keys(front.meta, front.text, shown)
    language = _language(front.meta, front.text, shown, problems)
    tokens, env = parse(front.body, slug, language or config.report.language)
    env["labels"] = dict(config.labels)  # the words rendering prints (languages.words_in)
    title = front.meta.get("title")
    if title is not None and (not isinstance(title, str) or not title.strip()):
        _problem(
            BuildError(
                shown,
                "front matter 'title' must be a non-empty string",
                "write title: Your chapter title",
                line_of(front.text, "title"),
            ),
            problems,
        )
        title = None
    if title is None:
        title, tokens = title_of(tokens, path)
    try:
        fields = aids(front.meta, front.text, shown)
    except BuildError as exc:
        _problem(exc, problems)
        fields = aids({}, "", shown)
    return Chapter(
        number=number,
        slug=slug,
        title=title.strip(),
        source=shown,
        body_line=front.body_line,
        tokens=tuple(tokens),
        env=env,
        warnings=tuple(warnings),
        language=language,
        **fields,
    )


def _language(meta: dict, front: str, shown: str, problems: list[Diagnostic] | None) -> str:
    """The chapter's own `language:` (or pandoc's `lang:`), canonical; "" for the book's."""
    key = "language" if "language" in meta else "lang"
    value = meta.get(key)
    if value is None:
        return ""
    if isinstance(value, str) and is_tag(value.strip()):
        return canonical(value.strip())
    _problem(
        BuildError(
            shown,
            f"front matter '{key}' is not a language tag",
            'write a BCP 47 tag such as "fr", "ar" or "zh-Hant"',
            line_of(front, key),
        ),
        problems,
    )
    return ""


def _problem(error: BuildError, problems: list[Diagnostic] | None) -> None:
    """Report `error` in check's list, or stop the build with it."""
    if problems is None:
        raise error
    problems.append(error.diagnostic())


def title_of(tokens: list, path: Path) -> tuple[str, list]:
    """A chapter without a title in front matter (a README, a page written for another tool)
    takes its first heading. A level-1 heading that opens the text becomes the title and
    leaves the body; a later or lower one stays where it is. Without any heading, the file
    name gives it: `02-getting_started.md` -> "Getting started"."""
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            text = shown_text(tokens[i + 1]).strip()
            if not text:
                continue
            if i == 0 and token.tag == "h1":
                return text, tokens[3:]
            return text, tokens
    words = re.sub(r"^\d+[-_ .]*", "", path.stem).replace("_", " ").replace("-", " ").strip()
    words = words or path.stem
    return xml_safe(words[:1].upper() + words[1:]), tokens


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
            chapters.append(load_chapter(path, number, slug, shown, config, problems))
        except BuildError as exc:
            if problems is None:
                raise
            problems.append(exc.diagnostic())
    return Book(config=config, chapters=tuple(chapters), created=build_clock())
