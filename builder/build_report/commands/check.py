"""`build-report check`: everything a build would check, without writing or laying out.

It reads the project with the builds' loader and asks the builds' resolver about every link and
image, so it finds what the builds would find, at the source line.
"""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it.token import Token

from build_report.commands.build import read_in_time
from build_report.commands.check_css import check_stylesheet
from build_report.errors import BuildError, Diagnostic
from build_report.fonts import undrawable
from build_report.markup.parser import heading_text
from build_report.markup.references import with_lines
from build_report.markup.resolver import Resolver
from build_report.markup.rich import rich_findings
from build_report.markup.tables import table_findings
from build_report.project.config import load_config
from build_report.project.model import Book, Chapter

UNDEFINED_NOTE = re.compile(r"\[\^([^\]\s]+)\]")
ID_ATTR = re.compile(r"""\bid\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)


def run_check(project: Path) -> list[Diagnostic]:
    """Collect every finding; config errors stop early (nothing else can be read without it)."""
    found: list[Diagnostic] = []
    try:
        config = load_config(project)
        book = read_in_time(config, problems=found)
    except BuildError as exc:
        return [exc.diagnostic()]
    found += check_chapters(book)
    for css in dict.fromkeys([*config.print_stylesheets, config.handout.css]):
        found += check_stylesheet(config.root, css)
    # The screen stylesheet is for browsers and e-readers, not WeasyPrint: references only.
    found += check_stylesheet(config.root, config.build.screen_css, engine=False)
    return sorted(set(found), key=Diagnostic.sort_key)


def check_chapters(book: Book) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    resolver = Resolver(book)
    for chapter in book.chapters:
        found += chapter.warnings
        found += _headings(chapter)
        found += _footnotes(chapter)
        found += _duplicate_ids(chapter)
        for ref, resolved in resolver.findings(chapter):
            found.append(resolved.diagnostic(chapter.source, ref.line))
    return (
        found
        + table_findings(book)
        + rich_findings(book.chapters)
        + resolver.apparatus.findings(unused=True)
        + undrawable(book)
    )


def _diag(chapter: Chapter, line: int | None, level: str, message: str) -> Diagnostic:
    return Diagnostic(chapter.source, line, None, level, message)


def _headings(chapter: Chapter) -> list[Diagnostic]:
    found = []
    previous = 1  # the chapter title is the level-1 heading
    for i, token in enumerate(chapter.tokens):
        if token.type != "heading_open":
            continue
        level = int(token.tag[1])
        line = chapter.body_line + token.map[0] if token.map else None
        found += _empty_heading(chapter, chapter.tokens[i + 1], line)
        if level == 1:
            found.append(
                _diag(
                    chapter,
                    line,
                    "warning",
                    "a level-1 heading inside a chapter; "
                    "the chapter title is level 1, use ## for sections",
                )
            )
        elif level > previous + 1:
            found.append(
                _diag(chapter, line, "warning", f"heading level skips from {previous} to {level}")
            )
        previous = level
    for token, line in with_lines(chapter):
        if token.type == "image" and not (token.content or "").strip():
            found.append(
                _diag(chapter, line, "warning", f"image {token.attrGet('src')} has no alt text")
            )
    return found


def _empty_heading(chapter: Chapter, inline: Token, line: int | None) -> list[Diagnostic]:
    """A heading with no words gets no contents, nav or bookmark entry (see headings())."""
    if heading_text(inline):
        return []
    message = "empty heading: it is left out of the contents; give it words or remove it"
    return [Diagnostic(chapter.source, line, None, "warning", message, kind="empty heading")]


def _footnotes(chapter: Chapter) -> list[Diagnostic]:
    found = []
    refs = chapter.env.get("footnotes", {}).get("refs", {})
    for label, ident in refs.items():
        if ident == -1:
            found.append(
                _diag(
                    chapter,
                    None,
                    "warning",
                    f"footnote [^{label.lstrip(':')}] is defined but never used",
                )
            )
    for token in chapter.tokens:
        if token.type != "inline":
            continue
        line = chapter.body_line + token.map[0] if token.map else None
        for child in token.children or []:
            if child.type == "text":
                for label in UNDEFINED_NOTE.findall(child.content):
                    found.append(
                        _diag(
                            chapter, line, "error", f"footnote [^{label}] is used but not defined"
                        )
                    )
    return found


def _duplicate_ids(chapter: Chapter) -> list[Diagnostic]:
    seen: dict[str, int | None] = {}
    found = []
    for token, line in with_lines(chapter):
        ids = []
        if token.type in ("html_block", "html_inline"):
            ids = ID_ATTR.findall(token.content)
        elif token.attrGet("id") and token.type != "heading_open":
            ids = [str(token.attrGet("id"))]
        for ident in ids:
            if ident in seen:
                found.append(_diag(chapter, line, "warning", f"duplicate id '{ident}'"))
            seen[ident] = line
    return found
