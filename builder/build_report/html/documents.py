"""Book -> the HTML documents WeasyPrint lays out (the print book, the handout), through Jinja2
templates; the EPUB's documents are made from the same chapters in ebook/."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from build_report import __version__
from build_report.errors import BuildError
from build_report.html.templates import fill
from build_report.markup.aidsources import AidLinks
from build_report.markup.blocks import mark_blocks
from build_report.markup.parser import headings
from build_report.markup.renderer import PRINT, chapter_html
from build_report.markup.resolver import Resolver
from build_report.project.config import HALF_SIZES, PAPER_SIZES, QUARTER_SIZES
from build_report.project.model import Book, Chapter, Question


@dataclass(frozen=True)
class Section:
    id: str
    title: str


@dataclass(frozen=True)
class ChapterHtml:
    """A chapter rendered for one target: its body, its notes (EPUB), where it is linked."""

    chapter: Chapter
    body: Markup
    notes: dict[int, Markup]
    href: str
    sections: tuple[Section, ...] = ()
    back_matter: tuple[Section, ...] = ()  # sources, glossary, index: in the print contents


def chapters_html(
    book: Book, target: str, files: dict[str, str] | None = None, back_matter: bool = True
) -> list[ChapterHtml]:
    """Each chapter's Markdown rendered for one target (the Markdown itself was parsed once).
    `files` names each chapter's document in the EPUB; None for the one print document.
    `back_matter`: the glossary after the last chapter (a handout has its key terms box)."""
    resolver = Resolver(book, files)
    resolver.apparatus.back_matter = back_matter
    out = []
    for chapter in book.chapters:
        tokens = list(chapter.tokens)
        try:
            body, notes = chapter_html(
                tokens,
                chapter.env,
                target=target,
                slug=chapter.slug,
                links=resolver.chapter(chapter),
            )
        except (ValueError, RecursionError) as exc:
            raise BuildError(
                chapter.source, f"cannot render: {exc}", "simplify the Markdown or raw HTML"
            ) from None
        href = f"#{chapter.anchor}" if files is None else files[chapter.slug]
        sections = tuple(Section(i, t) for i, t in headings(tokens))
        added = resolver.apparatus.added.get(chapter.slug, [])
        sections += tuple(Section(i, t) for i, t, _ in added)  # in the EPUB nav
        back = tuple(Section(i, t) for i, t, is_back in added if is_back)
        out.append(
            ChapterHtml(
                chapter,
                Markup(mark_blocks(body, chapter.number)),  # the same names in every render
                {k: Markup(v) for k, v in notes.items()},
                href,
                sections,
                back,
            )
        )
    return out


def has_editorial(book: Book) -> bool:
    return any(ch.key_points or ch.timeline for ch in book.chapters)


def page_size(book: Book, per_sheet: int = 1) -> str:
    """The page as laid out: the paper, or its half (a booklet, 2-up) or quarter (4-up)."""
    sizes = {1: PAPER_SIZES, 2: HALF_SIZES, 4: QUARTER_SIZES}[per_sheet]
    return sizes[book.config.build.paper]


def print_document(
    book: Book,
    html_dir: Path | None = None,
    booklet: bool = False,
    *,
    part: str = "whole",
    only: set[str] | None = None,
    extra_css: str = "",
    stand_ins: list[str] | None = None,
    chapters: list[ChapterHtml] | None = None,
) -> str:
    """The single HTML document that WeasyPrint lays out.

    `html_dir` is where the HTML will be saved (for --emit-html); links to styles and images
    are then made to resolve from there through a <base> element. The rest serves
    chapter-parallel layout (pdf/parallel.py): `part` ("front" for cover and contents,
    "summary" for the summary page, "chapters" for the chapters in `only`), `extra_css`,
    `stand_ins` (empty elements with the ids of targets in other parts) and `chapters`
    (rendered once for all the parts).
    """
    config = book.config
    base_href = ""
    if html_dir is not None and html_dir.resolve() != book.root.resolve():
        base_href = Path(os.path.relpath(book.root.resolve(), html_dir.resolve())).as_posix() + "/"
    return fill(
        "print.html.jinja",
        report=config.report,
        words=book.words,
        dir=book.dir,
        chapter_break=config.build.chapter_break,
        summary_chapters=book.summary_chapters,
        colophon=config.build.colophon,
        cite_as=book.cite_as,
        version=__version__,
        created=book.created.isoformat(),
        date_label=book.date_label,
        stylesheets=config.print_stylesheets,
        paper=page_size(book, 2 if booklet else 1),
        text_align=config.build.text_align,
        chapters=chapters if chapters is not None else _print_chapters(book),
        has_editorial=has_editorial(book),
        base_href=base_href,
        part=part,
        only=only,
        extra_css=Markup(extra_css),
        stand_ins=stand_ins or [],
        lists=_of_book(book, "lists", target_lists),
        changes=book.changes if part != "chapters" else (),
        since=book.since,
        aid_link=_of_book(book, "aid_link", AidLinks),
    )


_BOOK: list = [None, {}]  # the last Book documents were made of, and what they all share


def _of_book(book: Book, name: str, make):
    """`make(book)`, once a Book: a parallel build renders a document for every part of the
    book (pdf/parallel.py), and the links of the aids and the lists of figures and tables
    are the whole book's (a second a build at 300 chapters when made for each)."""
    if _BOOK[0] is not book:
        _BOOK[:] = [book, {}]
    shared = _BOOK[1]
    if name not in shared:
        shared[name] = make(book)
    return shared[name]


def target_lists(book: Book, files: dict[str, str] | None = None) -> list:
    """The lists of figures and of tables the config asks for, to follow the contents:
    (title, [(href, number, caption)]); `files` as for chapters_html (the EPUB's)."""
    from build_report.markup.apparatus import Apparatus
    from build_report.markup.crossrefs import lists

    settings = book.config.numbering
    wanted = {"fig": settings.list_of_figures, "tbl": settings.list_of_tables}
    from build_report.project.languages import speaking

    with speaking(book.words):
        found = lists(Apparatus(book).targets, {k for k, v in wanted.items() if v})
    return [
        (
            title,
            [
                (f"{files[t.chapter] if files else ''}#{t.ident}", t.number, t.caption)
                for t in targets
            ],
        )
        for title, targets in found
    ]


def _print_chapters(book: Book) -> list[ChapterHtml]:
    """The chapters of the whole print document, long ones with a page break where a parallel
    build cuts them (pdf/split.py), so that the book is the same however it is laid out."""
    from build_report.pdf.split import marked

    return marked(chapters_html(book, PRINT))


def handout_document(
    book: Book,
    selection: str = "",
    per_sheet: int = 1,
    version_label: str = "",
    briefing: dict[int, str] | None = None,
) -> str:
    """The classroom handout: the same chapters, compact, with questions and answer space.

    `per_sheet`: pages on a side of the sheet. A handout printed 2-up (or as a booklet) is
    laid out at half the paper and a 4-up one at a quarter, each placed at full size, so its
    type stays readable and its answer lines stay far enough apart to write on (handout.css
    sets each size's type). `version_label` ("Version A") marks a roster's question order
    (pdf/roster.py). `briefing`: what each chapter (by number) cites of the briefing's pages
    ("pp. 3-4")."""
    config = book.config
    fold = {1: "full", 2: "half", 4: "quarter"}[per_sheet]
    return fill(
        "handout.html.jinja",
        report=config.report,
        words=book.words,
        dir=book.dir,
        handout=config.handout,
        edition=book.edition,
        edition_label=book.words.edition(book.edition.name, book.edition.label),
        version=__version__,
        created=book.created.isoformat(),
        stylesheet=config.handout.css,
        paper=page_size(book, per_sheet),
        fold=fold,
        chapters=chapters_html(book, PRINT, back_matter=False),
        selection=selection,
        timeline=[entry for ch in book.chapters for entry in ch.timeline],
        key_terms=[term for ch in book.chapters for term in ch.key_terms],
        answer_lines=config.handout.answer_lines,
        version_label=version_label,
        changes=book.changes,
        since=book.since,
        rules_for=lambda question: answer_rules(question, config.handout.answer_lines, fold),
        notes_lines={ch.number: notes_lines(ch, fold) for ch in book.chapters},
        briefing=briefing or {},
        # no links to the aids' passages: on a handout's paper they would be marks to ignore
    )


# Characters of an answer or a teaching note that a ruled line holds, on each size of handout
# page: counted low (measured: about 90, 70 and 53 on the default handout's lines), so that
# what the teacher's edition writes on the lines fits them.
CHARS_PER_LINE = {"full": 78, "half": 60, "quarter": 45}
LABEL_CHARS = 20  # the "Suggested answer" label before an answer, in characters of text


def answer_rules(question: Question, lines: int, fold: str) -> int:
    """Ruled lines under a question: `answer_lines`, or more if the suggested answer needs
    them, the same in every edition (a student edition keeps only the answer's length); none
    if `answer_lines` is 0."""
    length = question.answer_length or len(question.answer)
    if not lines or not length:
        return lines
    return max(lines, -(-(length + LABEL_CHARS) // CHARS_PER_LINE[fold]))


def notes_lines(chapter: Chapter, fold: str) -> int:
    """Ruled lines of a chapter's notes space: room for its teaching notes, the same in every
    edition (a student edition keeps only the notes' length), so that the student's and the
    teacher's handouts break their pages at the same places. One line to spare: the notes
    never end on the box's last rule."""
    length = chapter.teacher_notes_length or len(chapter.teacher_notes)
    return -(-length // CHARS_PER_LINE[fold]) + 1 if length else 0
