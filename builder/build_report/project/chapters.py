"""Read the chapter files: strict UTF-8, size caps, safe YAML front matter, ordering."""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path
from typing import Any

import yaml

from build_report import console as progress
from build_report.project.config import Config, slugify
from build_report.errors import BuildError, did_you_mean
from build_report.markup.parser import parse
from build_report.project.model import Book, Chapter, KeyTerm, Question, TimelineEntry

CHAPTERS_DIR = "chapters"
MAX_CHAPTER_BYTES = 2 * 1024 * 1024
FRONT_MATTER_KEYS = (
    "title",
    "summary",
    "key_points",
    "timeline",
    "key_terms",
    "questions",
    "teacher_notes",
)


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_original_compose = _UniqueKeyLoader.compose_node


def _compose_node(self: _UniqueKeyLoader, parent, index):
    """Refuse YAML aliases outright: front matter never needs them, and they are the way to
    build expansion bombs."""
    if self.check_event(yaml.events.AliasEvent):
        event = self.peek_event()
        raise yaml.composer.ComposerError(
            None, None, "aliases (*name) are not allowed in front matter", event.start_mark
        )
    return _original_compose(self, parent, index)


_UniqueKeyLoader.compose_node = _compose_node

_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


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


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """Return (front matter, body, line number where the body starts)."""
    if not re.match(r"---[ \t]*\r?\n", text):
        return None, text, 1
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            return "".join(lines[1:i]), "".join(lines[i + 1 :]), i + 2
    return "", "", -1


def _string_list(value: Any, key: str, shown: str, line: int) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BuildError(
            shown,
            f"front matter '{key}' must be a list of strings",
            f"write each item on its own '- ' line under {key}:",
            line,
        )
    return tuple(value)


def _records(value: Any, key: str, fields: tuple[str, str], shown: str, line: int) -> list[dict]:
    if value is None:
        return []
    ok = isinstance(value, list) and all(
        isinstance(v, dict)
        and set(v) == set(fields)
        and all(isinstance(v[f], str | int | datetime.date) for f in fields)
        for v in value
    )
    if not ok:
        raise BuildError(
            shown,
            f"front matter '{key}' must be a list of {{{', '.join(fields)}}}",
            f"write each item as '- {fields[0]}: ...' with '{fields[1]}: ...' below",
            line,
        )
    return [{f: str(v[f]) for f in fields} for v in value]


def _questions(value: Any, shown: str, line: int) -> tuple[Question, ...]:
    """Each question is a string, or `{question: ..., answer: ...}` with a teacher's answer."""
    if value is None:
        return ()
    out = []
    for item in value if isinstance(value, list) else [None]:
        if isinstance(item, str):
            out.append(Question(item))
        elif (
            isinstance(item, dict)
            and set(item) <= {"question", "answer"}
            and isinstance(item.get("question"), str)
            and isinstance(item.get("answer", ""), str)
        ):
            out.append(Question(item["question"], item.get("answer", "")))
        else:
            raise BuildError(
                shown,
                "front matter 'questions' must be a list of strings or of {question, answer}",
                "write '- question: ...' with 'answer: ...' below, or '- Your question?'",
                line,
            )
    return tuple(out)


def parse_front_matter(text: str, shown: str) -> dict[str, Any]:
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark else None  # +1 for 1-based, +1 for the opening ---
        problem = exc.problem or exc.context or "invalid YAML"
        raise BuildError(
            shown,
            f"front matter is not valid YAML: {problem}",
            "fix the YAML between the --- lines",
            line,
        ) from None
    except yaml.YAMLError as exc:
        raise BuildError(
            shown, f"front matter is not valid YAML: {exc}", "fix the YAML between the --- lines", 2
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BuildError(
            shown,
            "front matter must be a mapping of keys to values",
            "write 'title: ...' and other keys between the --- lines",
            2,
        )
    return data


def _key_line(front: str, key: str) -> int:
    for number, line in enumerate(front.splitlines(), start=2):
        if line.startswith(f"{key}:"):
            return number
    return 2


def _text(value: Any, key: str, shown: str, line_of) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BuildError(
            shown,
            f"front matter '{key}' must be a string",
            f"write {key}: followed by text",
            line_of(key),
        )
    return value.strip()


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
    for key in meta:
        if key not in FRONT_MATTER_KEYS:
            raise BuildError(
                shown,
                f"unknown front matter key '{key}'",
                did_you_mean(str(key), FRONT_MATTER_KEYS),
                _key_line(front or "", key),
            )
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
            _key_line(front or "", "title"),
        )
    summary = meta.get("summary")

    def line_of(key: str) -> int:
        return _key_line(front or "", key)

    tokens, env = parse(body, slug)
    return Chapter(
        number=number,
        slug=slug,
        title=title.strip(),
        source=shown,
        summary=_text(summary, "summary", shown, line_of),
        key_points=_string_list(meta.get("key_points"), "key_points", shown, line_of("key_points")),
        timeline=tuple(
            TimelineEntry(**r)
            for r in _records(
                meta.get("timeline"), "timeline", ("date", "event"), shown, line_of("timeline")
            )
        ),
        key_terms=tuple(
            KeyTerm(**r)
            for r in _records(
                meta.get("key_terms"),
                "key_terms",
                ("term", "definition"),
                shown,
                line_of("key_terms"),
            )
        ),
        questions=_questions(meta.get("questions"), shown, line_of("questions")),
        teacher_notes=_text(meta.get("teacher_notes"), "teacher_notes", shown, line_of),
        body_line=body_line,
        tokens=tuple(tokens),
        env=env,
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


def build_clock() -> datetime.datetime:
    """One clock for the whole build: SOURCE_DATE_EPOCH when set, so builds can be reproduced."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.UTC)
        except (ValueError, OverflowError):
            raise BuildError(
                "SOURCE_DATE_EPOCH",
                f"'{epoch}' is not a number of seconds",
                "set it to a Unix timestamp such as 1700000000",
            ) from None
    return datetime.datetime.now(tz=datetime.UTC).replace(microsecond=0)


def load_book(config: Config) -> Book:
    """Read every chapter once; every output is made from the Book this returns."""
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
        progress.current.stage(f"reading {shown}")
        chapters.append(load_chapter(path, number, slug, shown))
    return Book(config=config, chapters=tuple(chapters), created=build_clock())
