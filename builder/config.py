"""Read `report.toml` into typed, frozen settings; an unknown key is an error, not a default."""

from __future__ import annotations

import dataclasses
import datetime
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from builder.errors import BuildError, did_you_mean

CONFIG_NAME = "report.toml"
PAPER_SIZES = {"a4": "A4", "letter": "letter"}
TEXT_ALIGN = ("justify", "left")
DATE_TYPES = (datetime.date, datetime.datetime, datetime.time)


@dataclass(frozen=True)
class ReportMeta:
    """What the report is: shown on the cover and written into the PDF and EPUB metadata."""

    title: str
    author: str
    label: str = "Briefing"
    subtitle: str = ""
    subject: str = ""
    keywords: list[str] = field(default_factory=list)
    language: str = "en"
    slug: str = ""
    date: str = ""
    edition: str = ""


@dataclass(frozen=True)
class BuildSettings:
    """How to build it: paper, chapter order, stylesheets, output folder."""

    paper: str = "a4"
    chapters: list[str] = field(default_factory=list)
    output_dir: str = "build"
    print_css: str = "styles/print.css"
    screen_css: str = "styles/screen.css"
    text_align: str = "justify"


@dataclass(frozen=True)
class Config:
    report: ReportMeta
    build: BuildSettings
    path: Path

    @property
    def root(self) -> Path:
        return self.path.parent


SECTIONS: dict[str, type] = {"report": ReportMeta, "build": BuildSettings}


def slugify(text: str) -> str:
    """ASCII, lower-case, hyphen-separated: safe as a file name and an id on every platform."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-zA-Z0-9]+", "-", text).strip("-").lower()
    return text or "report"


def _key_line(text: str, key: str) -> int | None:
    """tomllib gives no positions for keys: find the first line that assigns this key."""
    pattern = re.compile(rf"^\s*(\[\s*)?[\"']?{re.escape(key)}[\"']?\s*(=|\])")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def _check_type(value: Any, kind: Any) -> bool:
    if kind is str:
        return isinstance(value, str)
    if kind == list[str]:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind is bool:
        return isinstance(value, bool)
    return False


def _type_name(kind: Any) -> str:
    return {str: "a string", bool: "true or false"}.get(kind, "a list of strings")


def _section(name: str, cls: type, data: Any, text: str, shown: str) -> Any:
    if not isinstance(data, dict):
        raise BuildError(
            shown, f"'{name}' must be a table", f"write it as [{name}]", _key_line(text, name)
        )
    hints = get_type_hints(cls)
    known = [f.name for f in dataclasses.fields(cls)]
    values = {}
    for key, value in data.items():
        if key not in known:
            raise BuildError(
                shown,
                f"unknown key '{key}' in [{name}]",
                did_you_mean(key, known),
                _key_line(text, key),
            )
        if isinstance(value, DATE_TYPES):
            value = value.isoformat()
        if not _check_type(value, hints[key]):
            raise BuildError(
                shown,
                f"'{key}' in [{name}] must be {_type_name(hints[key])}",
                "fix its value",
                _key_line(text, key),
            )
        values[key] = value
    missing = [
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
        and f.name not in values
    ]
    if missing:
        raise BuildError(
            shown,
            f"[{name}] has no '{missing[0]}'",
            f'add {missing[0]} = "..." under [{name}]',
            _key_line(text, name),
        )
    return cls(**values)


def load_config(root: Path, paper: str | None = None) -> Config:
    """Load and validate `report.toml` in `root`; `paper` (from the CLI) overrides the file."""
    path = root / CONFIG_NAME
    shown = CONFIG_NAME
    if not path.is_file():
        raise BuildError(
            root / CONFIG_NAME if not root.is_dir() else shown,
            "no report.toml in the project folder",
            "run build-report in a project folder or pass -C DIR",
        )
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BuildError(
            shown, f"not valid UTF-8 at byte {exc.start}", "save the file as UTF-8"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r"\(at line (\d+), column (\d+)\)", message)
        line = int(found.group(1)) if found else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        raise BuildError(
            shown,
            f"TOML syntax error: {message}",
            "fix the syntax (strings need quotes, tables [brackets])",
            line,
        ) from None
    for name in data:
        if name not in SECTIONS:
            raise BuildError(
                shown,
                f"unknown table [{name}]",
                did_you_mean(name, list(SECTIONS)),
                _key_line(text, name),
            )
    if "report" not in data:
        raise BuildError(shown, "no [report] table", "add [report] with title and author")
    report = _section("report", ReportMeta, data["report"], text, shown)
    build = _section("build", BuildSettings, data.get("build", {}), text, shown)
    if not report.slug:
        report = dataclasses.replace(report, slug=slugify(report.title))
    elif slugify(report.slug) != report.slug:
        raise BuildError(
            shown,
            f"slug '{report.slug}' is not a plain name",
            f"use letters, digits and hyphens, e.g. '{slugify(report.slug)}'",
            _key_line(text, "slug"),
        )
    chosen = (paper or build.paper).lower()
    if chosen not in PAPER_SIZES:
        raise BuildError(
            shown, f"unknown paper '{chosen}'", "use 'a4' or 'letter'", _key_line(text, "paper")
        )
    if build.text_align not in TEXT_ALIGN:
        raise BuildError(
            shown,
            f"unknown text_align '{build.text_align}'",
            "use 'justify' or 'left'",
            _key_line(text, "text_align"),
        )
    build = dataclasses.replace(build, paper=chosen)
    return Config(report=report, build=build, path=path)
