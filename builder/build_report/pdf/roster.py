"""`handout --roster class.csv`: one print-ready PDF with a handout per student.

Students' copies differ only in the name and in the order of the questions, so each version
(A, B) is laid out once, the two in parallel (processes.in_child), and the names are laid out
together in one small document of stamps (two pages per student: the first page's, with
the name in the header's Name field, and the later pages'), merged over the copies' pages
with pypdf. Thirty students cost about one handout and a page of names each, not thirty
layouts (bench/README.md). Each copy starts on a new sheet: it is padded with blank pages
to an even count (a duplex sheet), to a multiple of 4 for --booklet (its own booklet) and of
2N for --n-up N. A teacher edition adds each version's answer key at the end.
"""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass
from pathlib import Path

from build_report import __version__, processes
from build_report.pdf.adapter import Layout, PdfOptions, Rendered, engine, html_document
from build_report.project.model import Book
from build_report.project.roster import Roster
from build_report.writers import Written

MM = 96 / 25.4  # CSS px per millimetre
PT = 96 / 72  # CSS px per point


@dataclass(frozen=True)
class Copy:
    name: str
    line: str  # the running line: "Name · Group · Version A"
    version: str


@dataclass(frozen=True)
class RosterJob:
    """Plain data for the layout process: the versions' documents, the copies, the key."""

    versions: dict[str, Layout]
    copies: tuple[Copy, ...]
    key: Layout | None
    stamps: dict  # what roster-stamps.html.jinja needs besides the names and the field
    key_title: str = ""  # the answer keys' bookmark


@dataclass(frozen=True)
class LaidOut:
    data: bytes
    pages: int
    field: tuple[float, ...] | None  # the Name field's box on page 1 (CSS px: x1, y1, x2, y2)
    size: tuple[float, float]  # the page's width and height (CSS px)
    rendered: Rendered


def prepare_roster(book: Book, roster: Roster, options: PdfOptions, selection: str | None):
    """The documents to lay out (run where the Book is: build.py's preparing process)."""
    from build_report.html.documents import handout_document, page_size
    from build_report.html.templates import fill
    from build_report.pdf.handout import per_sheet, selection_label
    from build_report.project.versions import assign, seed, student_copy, versioned

    key = seed(roster.data, book)
    versions = versioned(book, key)
    chosen = assign(roster.students)
    label = selection_label(book, selection)
    words = book.words
    css = book.config.handout.css
    layouts = {}
    for version in dict.fromkeys(chosen):
        copy = student_copy(versions[version])
        shown = words("version", version=version)
        html = handout_document(copy, label, per_sheet(options), version_label=shown)
        layouts[version] = Layout.of(copy, html, css)
    copies = []
    for student, version in zip(roster.students, chosen, strict=True):
        group = words("group", group=student.group) if student.group else ""
        parts = [student.name, group, words("version", version=version)]
        copies.append(Copy(student.name, " · ".join(p for p in parts if p), version))
    answer_key = None
    if book.edition.teacher_material:
        html = fill(
            "answer-key.html.jinja",
            report=book.config.report,
            words=words,
            dir=book.dir,
            version=__version__,
            created=book.created.isoformat(),
            stylesheet=css,
            paper=page_size(book, per_sheet(options)),
            edition_label=words.edition(book.edition.name, book.edition.label),
            versions=[(v, versions[v]) for v in layouts],
        )
        answer_key = Layout.of(book, html, css)
    stamps = {
        "language": book.language,
        "dir": book.dir,
        "stylesheet": css,
        "paper": page_size(book, per_sheet(options)),
    }
    return RosterJob(layouts, tuple(copies), answer_key, stamps, words("answer_key"))


def lay_out_roster(job: RosterJob, output: Path, options: PdfOptions) -> tuple[bytes, Written]:
    """Every copy, stamped, in one PDF (imposed if asked): the bytes, and what they are."""
    plain = dataclasses.replace(options, booklet=False, n_up=1)
    names = list(job.versions)
    here, there = names[0], names[1:]
    done: dict[str, LaidOut] = {}

    def first() -> None:
        done[here] = lay_out(job.versions[here], plain)
        if job.key is not None:
            done["key"] = lay_out(job.key, plain)

    def second() -> dict[str, LaidOut]:
        return {name: lay_out(job.versions[name], plain) for name in there}

    # the second version in another process while this one lays out the first (2 cores: ~1x)
    done.update(processes.in_child(second, first, options.deadline) if there else {})
    if not there:
        first()
    stamps = lay_out(_stamps_layout(job, done[here]), plain)
    data = stamped(job, done, stamps.data, _sheet(options))
    if options.booklet or options.n_up > 1:
        data = impose(data, job, done, options)
    diagnostics = [d for laid in done.values() for d in laid.rendered.diagnostics]
    inputs = tuple(dict.fromkeys(p for laid in done.values() for p in laid.rendered.inputs))
    pages = sum(_padded(done[c.version].pages, _sheet(options)) for c in job.copies)
    if "key" in done:
        pages += done["key"].pages
    return data, Written(output, pages, None, diagnostics, inputs)


def lay_out(layout: Layout, options: PdfOptions) -> LaidOut:
    """adapter.lay_out, keeping where the Name field fell (WeasyPrint's page anchors)."""
    from build_report.pdf.adapter import checked, render
    from build_report.pdf.stack import roomy

    with engine(layout, options) as (resources, logs):
        page = html_document(layout, resources)
        document = render(page)
        data = roomy(lambda: document.write_pdf())
    diagnostics = checked(layout, options, resources, logs)
    first = document.pages[0]
    field = first.anchors.get("handout-name-field")
    rendered = Rendered(data, len(document.pages), diagnostics, tuple(resources.served))
    size = (first.width, first.height)
    return LaidOut(data, len(document.pages), field and tuple(field), size, rendered)


def _stamps_layout(job: RosterJob, version: LaidOut) -> Layout:
    from build_report.html.templates import fill

    layout = next(iter(job.versions.values()))
    width, _ = version.size
    field = version.field or (0.0, 0.0)
    left, top = field[0], field[1]
    # WeasyPrint 63+ gives the box's corners; earlier versions its top-left only
    right = field[2] if len(field) >= 4 and field[2] > left else width - 16 * MM
    if len(field) >= 4 and field[3] > top:  # on the field's rule, whatever its padding above
        top = field[3] - 1 * MM - 1.3 * 10 * PT - 3 * MM
    html = fill(
        "roster-stamps.html.jinja",
        students=job.copies,
        field_known=version.field is not None,
        field_top=round(top + 3 * MM, 2),  # 3 mm: the field's padding above (handout.css)
        field_left=round(left + 1 * MM, 2),
        field_width=round(max(right - left - 2 * MM, 10.0), 2),
        **job.stamps,
    )
    return dataclasses.replace(layout, html=html, warnings=())


def _sheet(options: PdfOptions) -> int:
    """How many pages make one sheet (a new copy starts on the next)."""
    if options.booklet:
        return 4
    return 2 * options.n_up


def _padded(pages: int, sheet: int) -> int:
    return -(-pages // sheet) * sheet


def stamped(job: RosterJob, done: dict[str, LaidOut], stamps: bytes, sheet: int) -> bytes:
    """The copies in roster order, then the answer keys. Each page of each version, and each
    stamp, becomes one form XObject, drawn by every copy that shows it: a copy's page is two
    `Do`s, so thirty copies weigh little more than one (and its fonts are embedded once).
    What a form cannot carry is dropped on the copies: links (print has no use for them)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    readers = {name: PdfReader(io.BytesIO(laid.data)) for name, laid in done.items()}
    writer = PdfWriter()
    forms = {
        name: [_form(page, writer) for page in reader.pages]
        for name, reader in readers.items()
        if name != "key"
    }
    marks = [_form(page, writer) for page in PdfReader(io.BytesIO(stamps)).pages]
    draw = DecodedStreamObject()
    draw.set_data(b"q /P Do Q q /N Do Q")
    draw = writer._add_object(draw)
    for n, copy in enumerate(job.copies):
        pages = forms[copy.version]
        first = readers[copy.version].pages[0]
        width, height = float(first.mediabox.width), float(first.mediabox.height)
        start = len(writer.pages)
        for i, form in enumerate(pages):
            page = writer.add_blank_page(width, height)
            shapes = {NameObject("/P"): form, NameObject("/N"): marks[2 * n + (i > 0)]}
            page[NameObject("/Resources")] = DictionaryObject(
                {NameObject("/XObject"): DictionaryObject(shapes)}
            )
            page[NameObject("/Contents")] = draw
        for _ in range(_padded(len(pages), sheet) - len(pages)):
            writer.add_blank_page(width, height)
        writer.add_outline_item(copy.line, start)
    if "key" in readers:
        start = len(writer.pages)
        for page in readers["key"].pages:
            writer.add_page(page)
        title = job.key_title or "Answer key"
        writer.add_outline_item(title, start)
    source = readers[job.copies[0].version]
    if source.metadata:
        writer.add_metadata({k: v for k, v in source.metadata.items() if isinstance(k, str)})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _form(page, writer):
    """One PDF page as a form XObject in `writer` (its fonts and images copied once)."""
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        FloatObject,
        NameObject,
    )

    contents = page.get_contents()
    stream = DecodedStreamObject()
    stream.set_data(contents.get_data() if contents is not None else b"")
    form = stream.flate_encode()
    resources = page.get("/Resources")
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(FloatObject(float(x)) for x in page.mediabox),
            NameObject("/Resources"): (
                resources.get_object().clone(writer)
                if resources is not None
                else DictionaryObject()
            ),
        }
    )
    if "/Group" in page:
        form[NameObject("/Group")] = page["/Group"].get_object().clone(writer)
    return writer._add_object(form)


def impose(data: bytes, job: RosterJob, done: dict[str, LaidOut], options: PdfOptions) -> bytes:
    """--n-up N: the stamped pages N to a side (each copy already fills whole sheets);
    --booklet: each copy its own booklet, and the answer keys one more, all from one reader,
    so the copies still share their fonts."""
    from build_report.pdf.impose import n_up
    from build_report.project.config import PAPER_POINTS

    paper = PAPER_POINTS[next(iter(job.versions.values())).config.build.paper]
    if not options.booklet:
        return n_up(data, options.n_up, paper)
    from pypdf import PdfReader, PdfWriter

    from build_report.pdf.impose import _place, booklet_order
    from build_report.project.config import PAPER_POINTS

    lengths = [_padded(done[c.version].pages, 4) for c in job.copies]
    if "key" in done:
        lengths.append(done["key"].pages)
    reader = PdfReader(io.BytesIO(data))
    height, width = PAPER_POINTS[next(iter(job.versions.values())).config.build.paper]
    writer = PdfWriter()
    start = 0
    for length in lengths:
        for left, right in booklet_order(length):
            sheet = writer.add_blank_page(width, height)
            for n, x in ((left, 0.0), (right, width / 2)):
                if n is not None:
                    _place(sheet, reader.pages[start + n], x, 0.0, width / 2, height)
        start += length
    if reader.metadata:
        writer.add_metadata({k: v for k, v in reader.metadata.items() if isinstance(k, str)})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
