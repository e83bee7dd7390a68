"""Read `report.toml` into typed, frozen settings; an unknown key is an error, not a default."""

from __future__ import annotations

import dataclasses
import datetime
import posixpath
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from build_report.errors import BuildError, did_you_mean, key_line
from build_report.markup.slugs import slugify
from build_report.project.languages import Words, canonical, is_tag, label_keys
from build_report.project.text import clean_strings

CONFIG_NAME = "report.toml"
PAPER_SIZES = {"a4": "A4", "letter": "letter"}
# A booklet folds a sheet in two: its pages are laid out at half the sheet, so type keeps its size.
HALF_SIZES = {"a4": "A5", "letter": "5.5in 8.5in"}
QUARTER_SIZES = {"a4": "A6", "letter": "4.25in 5.5in"}  # a handout printed 4-up
PAPER_POINTS = {"a4": (595.276, 841.89), "letter": (612.0, 792.0)}  # portrait width, height
TEXT_ALIGN = ("justify", "left", "")
CHAPTER_BREAKS = ("page", "none")
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
    language: str = "en-US"
    slug: str = ""
    date: str = ""
    edition: str = ""
    series: str = ""  # a series name, printed above the label on the cover
    author_role: str = ""  # e.g. "Senior Fellow, Europe Programme"
    organisation: str = ""  # who publishes it: on the cover and in "how to cite"
    source: str = ""  # where the text comes from: in the colophon
    licence: str = ""  # e.g. "CC BY 4.0": in the colophon
    cite_as: str = ""  # the colophon's "how to cite"; default: made from the keys above


@dataclass(frozen=True)
class BuildSettings:
    """How to build it: paper, chapter order, stylesheets, output folder."""

    paper: str = "a4"
    chapters: list[str] = field(default_factory=list)
    output_dir: str = "build"
    print_css: str = "styles/print.css"
    screen_css: str = "styles/screen.css"
    text_align: str = ""  # "justify" or "left"; "" leaves it to the theme
    max_pages: int = 2000
    time_limit: int = 600
    chapter_break: str = "page"  # "page": each chapter on a new page; "none": they follow on
    summary: bool = True  # a summary page after the contents (chapters' summaries, key points)
    colophon: bool = True  # a back page: how to cite, source, licence, the editorial notice
    # The design laid over print_css: styles/themes/<theme>.css beside it ("briefing", "report",
    # "book", or a theme of the project's own). "report" is print_css as it is.
    theme: str = "report"
    print_pages: bool = True  # the ebook and html carry the PDF's page breaks (pages/)


@dataclass(frozen=True)
class HandoutSettings:
    """The classroom handout: header fields for the class, and its own stylesheet."""

    course: str = ""
    teacher: str = ""
    date: str = ""
    answer_lines: int = 4
    css: str = "styles/handout.css"
    briefing_pages: bool = False  # each chapter heading cites its pages in the briefing's PDF


@dataclass(frozen=True)
class NumberingSettings:
    """Numbered figures, tables and sections (markup/crossrefs.py)."""

    per_chapter: bool = False  # Figure 2.1 (chapter 2's first) rather than Figure 4
    sections: bool = False  # number the sections (2.1), and `@sec-x` reads "Section 2.1"
    list_of_figures: bool = False  # a list of figures after the contents
    list_of_tables: bool = False


@dataclass(frozen=True)
class ReferenceSettings:
    """Sources cited with `[@key]` (markup/bibliography.py): files inside the project (BibTeX,
    CSL-JSON, CSL-YAML), a CSL style (a shipped name or a `.csl` path in the project), and
    whether the list of sources closes the book or each chapter."""

    bibliography: list[str] = field(default_factory=list)
    style: str = "chicago-notes-bibliography"
    sources: str = "book"  # "book", "chapter" or "none"


@dataclass(frozen=True)
class BackMatterSettings:
    """What follows the last chapter (markup/backmatter.py): a glossary of the chapters' key
    terms, and an index of the terms marked `[term]{.index}`. Each appears only when the
    chapters give it something to hold; the glossary is asked for (a book whose key terms
    are boxed in its chapters does not grow pages it did not ask for)."""

    glossary: bool = False
    index: bool = True


@dataclass(frozen=True)
class Edition:
    """Who a build is for. Teacher material (answers, notes, `::: teacher` blocks) is kept
    only in editions with `teacher_material = true`."""

    name: str = "student"
    label: str = "Student edition"
    teacher_material: bool = False


DEFAULT_EDITIONS = {
    "student": Edition("student", "Student edition", False),
    "teacher": Edition("teacher", "Teacher edition", True),
}


@dataclass(frozen=True)
class Config:
    report: ReportMeta
    build: BuildSettings
    path: Path
    handout: HandoutSettings = field(default_factory=HandoutSettings)
    editions: dict[str, Edition] = field(default_factory=lambda: dict(DEFAULT_EDITIONS))
    labels: dict[str, str] = field(default_factory=dict)  # [labels]: the catalogue's words replaced
    numbering: NumberingSettings = field(default_factory=NumberingSettings)
    references: ReferenceSettings = field(default_factory=ReferenceSettings)
    back_matter: BackMatterSettings = field(default_factory=BackMatterSettings)

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def words(self) -> Words:
        """The words build-report prints, in the book's language (see project/languages.py)."""
        return Words(self.report.language, self.labels)

    @property
    def print_stylesheets(self) -> list[str]:
        """The print document's stylesheets in cascade order: print_css, then the theme's
        (styles/themes/<theme>.css beside it, when there is one), so a theme overrides the
        shared rules and the project's copy of the theme is the one that counts."""
        theme = theme_stylesheet(self.build)
        found = [self.build.print_css]
        if (self.root / theme).is_file():
            found.append(theme)
        return found


SECTIONS: dict[str, type] = {
    "report": ReportMeta,
    "build": BuildSettings,
    "handout": HandoutSettings,
    "editions": Edition,
    "labels": dict,
    "numbering": NumberingSettings,
    "references": ReferenceSettings,
    "back_matter": BackMatterSettings,
}


def theme_stylesheet(build: BuildSettings) -> str:
    """Where the theme's stylesheet is: `themes/<theme>.css` in print_css's folder."""
    folder = posixpath.dirname(build.print_css)
    return posixpath.join(folder, "themes", f"{build.theme}.css")


def _check_type(value: Any, kind: Any) -> bool:
    if kind is str:
        return isinstance(value, str)
    if kind == list[str]:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return False


def _type_name(kind: Any) -> str:
    names = {str: "a string", bool: "true or false", int: "a whole number"}
    return names.get(kind, "a list of strings")


def _section(name: str, cls: type, data: Any, text: str, shown: str) -> Any:
    if not isinstance(data, dict):
        raise BuildError(
            shown, f"'{name}' must be a table", f"write it as [{name}]", key_line(text, name)
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
                key_line(text, key, name),
            )
        if isinstance(value, DATE_TYPES):
            value = value.isoformat()
        if not _check_type(value, hints[key]):
            raise BuildError(
                shown,
                f"'{key}' in [{name}] must be {_type_name(hints[key])}",
                "fix its value",
                key_line(text, key, name) or key_line(text, name),
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
            key_line(text, name),
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
        data = clean_strings(tomllib.loads(text))
    except RecursionError:
        raise BuildError(
            shown, "TOML nested too deeply to read", "flatten the nested arrays or tables"
        ) from None
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
                key_line(text, name),
            )
    if "report" not in data:
        raise BuildError(shown, "no [report] table", "add [report] with title and author")
    report = _section("report", ReportMeta, data["report"], text, shown)
    build = _section("build", BuildSettings, data.get("build", {}), text, shown)
    handout = _section("handout", HandoutSettings, data.get("handout", {}), text, shown)
    if not 0 <= handout.answer_lines <= 40:
        raise BuildError(
            shown,
            "answer_lines must be between 0 and 40",
            "fix its value",
            key_line(text, "answer_lines", "handout"),
        )
    editions = _editions(data.get("editions", {}), text, shown)
    labels = _labels(data.get("labels", {}), text, shown)
    if not is_tag(report.language):
        raise BuildError(
            shown,
            f"language '{report.language}' is not a language tag",
            'write a BCP 47 tag such as "en-US", "fr", "ar" or "zh-Hant"',
            key_line(text, "language", "report"),
        )
    report = dataclasses.replace(report, language=canonical(report.language))
    if "label" not in data["report"]:  # the default label, in the book's language
        report = dataclasses.replace(report, label=Words(report.language, labels)("briefing"))
    numbering = _section("numbering", NumberingSettings, data.get("numbering", {}), text, shown)
    references = _references(data.get("references", {}), text, shown)
    back = _section("back_matter", BackMatterSettings, data.get("back_matter", {}), text, shown)
    if not report.slug:
        report = dataclasses.replace(report, slug=slugify(report.title))
    elif slugify(report.slug) != report.slug:
        raise BuildError(
            shown,
            f"slug '{report.slug}' is not a plain name",
            f"use letters, digits and hyphens, e.g. '{slugify(report.slug)}'",
            key_line(text, "slug", "report"),
        )
    chosen = (paper or build.paper).lower()
    if chosen not in PAPER_SIZES:
        raise BuildError(
            shown,
            f"unknown paper '{chosen}'",
            "use 'a4' or 'letter'",
            key_line(text, "paper", "build"),
        )
    if build.text_align not in TEXT_ALIGN:
        raise BuildError(
            shown,
            f"unknown text_align '{build.text_align}'",
            "use 'justify' or 'left'",
            key_line(text, "text_align", "build"),
        )
    if build.chapter_break not in CHAPTER_BREAKS:
        raise BuildError(
            shown,
            f"unknown chapter_break '{build.chapter_break}'",
            "use 'page' (each chapter on a new page) or 'none' (chapters follow on)",
            key_line(text, "chapter_break", "build"),
        )
    for key, top in (("max_pages", 100_000), ("time_limit", 86_400)):
        if not 1 <= getattr(build, key) <= top:
            raise BuildError(
                shown,
                f"{key} must be between 1 and {top}",
                "fix its value",
                key_line(text, key, "build"),
            )
    _inside_project(root, build.screen_css, "screen_css", "build", text, shown)
    _inside_project(root, build.print_css, "print_css", "build", text, shown)
    _inside_project(root, handout.css, "css", "handout", text, shown)
    _check_theme(root, build, text, shown)  # beside print_css, which is inside by now
    build = dataclasses.replace(build, paper=chosen)
    return Config(
        report=report,
        build=build,
        path=path,
        handout=handout,
        editions=editions,
        labels=labels,
        numbering=numbering,
        references=references,
        back_matter=back,
    )


def _labels(data: Any, text: str, shown: str) -> dict[str, str]:
    """`[labels]`: any word build-report prints, e.g. `contents = "In this briefing"`."""
    if not isinstance(data, dict):
        raise BuildError(shown, "'labels' must be a table", "write it as [labels]")
    known = label_keys()
    for key, value in data.items():
        if key not in known:
            raise BuildError(
                shown,
                f"unknown key '{key}' in [labels]",
                did_you_mean(key, known),
                key_line(text, key, "labels"),
            )
        if not isinstance(value, str) or not value.strip():
            raise BuildError(
                shown,
                f"'{key}' in [labels] must be a non-empty string",
                "fix its value",
                key_line(text, key, "labels"),
            )
    return dict(data)


def _references(data: Any, text: str, shown: str) -> ReferenceSettings:
    """[references]: `bibliography` may be one file or a list of them."""
    if isinstance(data, dict) and isinstance(data.get("bibliography"), str):
        data = {**data, "bibliography": [data["bibliography"]]}
    found = _section("references", ReferenceSettings, data, text, shown)
    if found.sources not in ("book", "chapter", "none"):
        raise BuildError(
            shown,
            f"unknown sources '{found.sources}' in [references]",
            "use 'book', 'chapter' or 'none'",
            key_line(text, "sources", "references"),
        )
    return found


def _check_theme(root: Path, build: BuildSettings, text: str, shown: str) -> None:
    """A theme is a plain name with a stylesheet in styles/themes/ ("report" may have none:
    it is print_css alone). Named wrongly, the book would silently lose its design."""
    line = key_line(text, "theme", "build")
    if slugify(build.theme) != build.theme:
        raise BuildError(
            shown, f"theme '{build.theme}' is not a plain name", "use e.g. 'briefing'", line
        )
    sheet = theme_stylesheet(build)
    if build.theme == "report" or (root / sheet).is_file():
        _inside_project(root, sheet, "theme", "build", text, shown)
        return
    folder = root / posixpath.dirname(sheet)
    known = sorted(p.stem for p in folder.glob("*.css")) if folder.is_dir() else []
    hint = did_you_mean(build.theme, known) if known else ""
    raise BuildError(
        shown,
        f"theme '{build.theme}' has no stylesheet {sheet}",
        (hint + "; " if hint else "")
        + "use briefing, report or book, with styles/themes/ copied from a new"
        " `build-report init` project",
        line,
    )


def _inside_project(root: Path, value: str, key: str, table: str, text: str, shown: str) -> None:
    """A stylesheet named here is read by every build and by `check`, and quoted in errors:
    it must lie inside the project once `..` and symbolic links are followed, or a
    file from elsewhere would be read and echoed. So it is checked here, before any read."""
    base = root.resolve()
    try:
        real = (root / value).resolve()
        inside = base in real.parents and ".git" not in real.relative_to(base).parts
    except (OSError, RuntimeError, ValueError):  # a link loop, a NUL byte: not a usable path
        inside = False
    if not inside:
        raise BuildError(
            shown,
            f"{key} in [{table}] leads outside the project folder",
            "name a stylesheet inside the project, e.g. styles/screen.css",
            key_line(text, key, table) or key_line(text, table),
        )


def _editions(data: Any, text: str, shown: str) -> dict[str, Edition]:
    """`[editions.NAME]` tables add editions or change the built-in student and teacher ones."""
    if not isinstance(data, dict):
        raise BuildError(
            shown,
            "'editions' must hold tables such as [editions.student]",
            "write [editions.NAME] with label and teacher_material",
            key_line(text, "editions"),
        )
    editions = dict(DEFAULT_EDITIONS)
    for name, table in data.items():
        if slugify(name) != name:
            raise BuildError(
                shown,
                f"edition name '{name}' is not a plain name",
                "use lower-case letters, digits and hyphens",
                key_line(text, f"editions.{name}"),
            )
        if isinstance(table, dict) and "name" in table:
            raise BuildError(
                shown,
                f"[editions.{name}] may not set 'name'",
                "the table's own name is the edition's name",
                key_line(text, "name", f"editions.{name}"),
            )
        base = editions.get(name, Edition(name, name.replace("-", " ").capitalize()))
        merged = {
            "label": base.label,
            "teacher_material": base.teacher_material,
            **(table if isinstance(table, dict) else {}),
        }
        edition = _section(f"editions.{name}", Edition, {"name": name, **merged}, text, shown)
        editions[name] = edition
    return editions
