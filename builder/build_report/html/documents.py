"""Book -> HTML documents through Jinja2 templates (StrictUndefined, autoescaped)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from build_report import __version__
from build_report.project.config import HALF_SIZES, PAPER_SIZES
from build_report.errors import BuildError
from build_report.markup.parser import PRINT, LinkMap, headings, render, render_inline
from build_report.project.model import Book, Chapter

TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["inline"] = lambda text: Markup(render_inline(str(text)))
    return env


@dataclass(frozen=True)
class Section:
    id: str
    title: str


@dataclass(frozen=True)
class RenderedChapter:
    chapter: Chapter
    body: Markup
    notes: dict[int, Markup]
    href: str
    sections: tuple[Section, ...] = ()


def link_map(book: Book, target: str, files: dict[str, str] | None = None) -> LinkMap:
    names = {Path(ch.source).name: ch.slug for ch in book.chapters}
    return LinkMap(target=target, chapter_slugs=names, files=files or {})


def render_chapters(
    book: Book, target: str, files: dict[str, str] | None = None
) -> list[RenderedChapter]:
    """Each chapter's Markdown rendered for one target (the Markdown itself was parsed once)."""
    links = link_map(book, target, files)
    out = []
    for chapter in book.chapters:
        tokens = list(chapter.tokens)
        try:
            body, notes = render(tokens, chapter.env, target=target, slug=chapter.slug, links=links)
        except (ValueError, RecursionError) as exc:
            raise BuildError(
                chapter.source, f"cannot render: {exc}", "simplify the Markdown or raw HTML"
            ) from None
        href = f"#{chapter.anchor}" if target == PRINT else files[chapter.slug]
        sections = tuple(Section(i, t) for i, t in headings(tokens))
        out.append(
            RenderedChapter(
                chapter,
                Markup(body),
                {k: Markup(v) for k, v in notes.items()},
                href,
                sections,
            )
        )
    return out


def render_template(name: str, **context) -> str:
    return environment().get_template(name).render(**context)


def has_editorial(book: Book) -> bool:
    return any(ch.key_points or ch.timeline for ch in book.chapters)


def page_size(book: Book, booklet: bool = False) -> str:
    paper = book.config.build.paper
    return HALF_SIZES[paper] if booklet else PAPER_SIZES[paper]


def render_print(
    book: Book,
    html_dir: Path | None = None,
    booklet: bool = False,
    *,
    part: str = "whole",
    only: set[str] | None = None,
    extra_css: str = "",
    rendered: list[RenderedChapter] | None = None,
) -> str:
    """The single HTML document that WeasyPrint lays out.

    `html_dir` is where the HTML will be saved (for --emit-html); links to styles and images
    are then made to resolve from there through a <base> element. `part` ("front" for cover and
    contents, "chapters" for the chapters in `only`) and `extra_css` serve chapter-parallel
    rendering (parallel.py), which renders the chapters once (`rendered`) for all its parts.
    """
    config = book.config
    base_href = ""
    if html_dir is not None and html_dir.resolve() != book.root.resolve():
        base_href = Path(os.path.relpath(book.root.resolve(), html_dir.resolve())).as_posix() + "/"
    template = environment().get_template("print.html.jinja")
    return template.render(
        report=config.report,
        version=__version__,
        created=book.created.isoformat(),
        date_label=book.date_label,
        stylesheets=[config.build.print_css],
        paper=page_size(book, booklet),
        text_align=config.build.text_align,
        chapters=rendered if rendered is not None else render_chapters(book, PRINT),
        has_editorial=has_editorial(book),
        base_href=base_href,
        part=part,
        only=only,
        extra_css=Markup(extra_css),
    )


def render_handout(book: Book, selection: str = "", booklet: bool = False) -> str:
    """The classroom handout: the same chapters, compact, with questions and answer space."""
    config = book.config
    chapters = render_chapters(book, PRINT)
    return render_template(
        "handout.html.jinja",
        report=config.report,
        handout=config.handout,
        edition=book.edition,
        version=__version__,
        created=book.created.isoformat(),
        stylesheet=config.handout.css,
        paper=page_size(book, booklet),
        chapters=chapters,
        selection=selection,
        timeline=[entry for ch in book.chapters for entry in ch.timeline],
        key_terms=[term for ch in book.chapters for term in ch.key_terms],
        answer_lines=config.handout.answer_lines,
    )
