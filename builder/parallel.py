"""Chapter-parallel PDF rendering for large books (`--jobs N`).

Chapters start on pages of their own, so a group of chapters lays out the same alone as inside
the whole book: only the page furniture that depends on the whole book differs. So:

1. worker processes lay out groups of consecutive chapters, with the footer left out and the
   report title given to the running head as a literal (the cover that sets it is not there);
   every anchor the group links to elsewhere gets an empty stand-in, or WeasyPrint would drop
   the link;
2. with the page counts known, the main process lays out the cover and contents, with each
   contents entry's page number given as a literal;
3. pypdf stitches the parts, keeps each part's outline, and rebuilds the named destinations
   from the real anchors only, so every link lands where it does in a single-process build;
4. one more layout of empty pages draws every footer ("page X of Y") with the book's own
   stylesheet, and pypdf lays it over the stitched pages.

The result's outline, page labels, contents and link targets equal a single-process build's
(tests/test_parallel.py compares them).
"""

from __future__ import annotations

import io
import multiprocessing
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

from builder import files, progress
from builder.errors import BuildError
from builder.model import Book
from builder.pdf import PdfOptions, PdfResult, Rendered, render_pdf
from builder.render import render_print

_BOOK: Book | None = None  # inherited by forked workers, so the Book is never pickled
_OPTIONS = PdfOptions()  # likewise: the user's options for each part (strict is applied after)
NO_FOOTER = "@page { @bottom-center { content: none; } }"
ID_ATTR = re.compile(r"""\bid="([^"]+)\"""")
HREF = re.compile(r"""\bhref="#([^"]+)\"""")


def css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ") + '"'


def groups(book: Book, jobs: int) -> list[list[str]]:
    """Consecutive chapters in up to 3 groups per process, balanced by source size.

    More groups than processes lets the pool even out chapters of unequal length; each group
    costs a little (the stylesheet and fonts are loaded once per group).
    """
    sizes = [(ch.slug, sum(len(t.content) for t in ch.tokens) + 1) for ch in book.chapters]
    count = min(len(sizes), 3 * jobs)
    low, high = max(s for _, s in sizes), sum(s for _, s in sizes)
    while low < high:  # the smallest largest-group size that makes at most `count` groups
        middle = (low + high) // 2
        if len(_split(sizes, middle)) <= count:
            high = middle
        else:
            low = middle + 1
    return _split(sizes, low)


def _split(sizes: list[tuple[str, int]], limit: int) -> list[list[str]]:
    out: list[list[str]] = [[]]
    load = 0
    for slug, size in sizes:
        if out[-1] and load + size > limit:
            out.append([])
            load = 0
        out[-1].append(slug)
        load += size
    return out


def _with_stand_ins(html: str, marker: str, book_ids: set[str]) -> tuple[str, list[str]]:
    """Give every link target that is in another part an empty element to point at. (A target
    that is nowhere in the book gets none: WeasyPrint warns about it, as in one process.)"""
    present = set(ID_ATTR.findall(html))
    missing = sorted((set(HREF.findall(html)) - present) & book_ids)
    spans = "".join(f'<span id="{ident}"></span>' for ident in missing)
    return html.replace(marker, marker + spans, 1), missing


def _render_part(html: str) -> Rendered:
    assert _BOOK is not None
    return render_pdf(_BOOK, html, _OPTIONS)


def _dests(data: bytes) -> tuple[int, dict[str, int]]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    found = {
        str(k): reader.get_destination_page_number(v) for k, v in reader.named_destinations.items()
    }
    return len(reader.pages), found


def write_pdf_parallel(book: Book, output: Path, options: PdfOptions, jobs: int) -> PdfResult:
    global _BOOK, _OPTIONS
    files.check_target(output, book.root)
    title = css_string(book.config.report.title)
    running_title = f"@page {{ @top-left {{ content: {title}; }} }}"
    part_css = NO_FOOTER + running_title
    pages_html = [
        render_print(book, part="chapters", only=set(slugs), extra_css=part_css)
        for slugs in groups(book, jobs)
    ]
    front_html = render_print(book, part="front", extra_css=NO_FOOTER + _literal_toc_css())
    book_ids = {i for html in [front_html, *pages_html] for i in ID_ATTR.findall(html)}
    parts = [_with_stand_ins(html, '<p class="chapter-number">', book_ids) for html in pages_html]

    progress.current.stage(f"laying out {len(parts)} parts in {jobs} processes")
    toc_marker = '<h2 id="toc-title" class="toc-heading">'
    _BOOK = book
    _OPTIONS = replace(options, strict=False, jobs=1)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            pending = [pool.submit(_render_part, html) for html, _ in parts]
            # meanwhile: how long are the cover and contents? (numbers do not change that)
            counting = _with_stand_ins(front_html, toc_marker, book_ids)[0]
            front_pages = _dests(render_pdf(book, counting, _OPTIONS).data)[0]
            rendered = [future.result() for future in pending]
            counted = [_dests(r.data) for r in rendered]
            starts: dict[str, int] = {}
            offset = front_pages
            for (pages, dests), (_, missing) in zip(counted, parts, strict=True):
                for name, index in dests.items():
                    if name not in missing:
                        starts[name] = offset + index
                offset += pages
            total = offset
            for chapter in book.chapters:
                front_html = front_html.replace(
                    f'<a href="#{chapter.anchor}">',
                    f'<a href="#{chapter.anchor}" data-page="{starts[chapter.anchor] + 1}">',
                    1,
                )
            front_html, front_missing = _with_stand_ins(front_html, toc_marker, book_ids)
            # the contents and the footers of the whole book, side by side
            front_job = pool.submit(_render_part, front_html)
            footer_job = pool.submit(_render_footers, total)
            front, footers = front_job.result(), footer_job.result()
    finally:
        _BOOK, _OPTIONS = None, PdfOptions()

    front_count, front_dests = _dests(front.data)
    if front_count != front_pages:  # cannot happen: numbers sit in a fixed-width leader line
        raise RuntimeError("the contents changed length once page numbers were filled in")
    for name, index in front_dests.items():
        if name not in front_missing:
            starts[name] = index

    diagnostics = front.diagnostics + [d for r in rendered for d in r.diagnostics]
    if options.strict and diagnostics:
        first = diagnostics[0]
        raise BuildError(
            first.path,
            f"{first.message} (a warning, an error under --strict)",
            "fix it, or build without --strict",
            first.line,
        )
    progress.current.stage("stitching")
    data = _stitch(front.data, [r.data for r in rendered], starts, footers.data)
    files.write_bytes(output, data)
    inputs = tuple(dict.fromkeys(p for r in [front, *rendered] for p in r.inputs))
    return PdfResult(output, total, diagnostics, inputs)


def _literal_toc_css() -> str:
    return '.toc-list a::after { content: leader(". ") attr(data-page); }'


def _stitch(front: bytes, parts: list[bytes], starts: dict[str, int], footers: bytes) -> bytes:
    """One PDF from the parts: their pages and outlines in order, the real named destinations
    only, the front's metadata, and every page's footer laid over it."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    writer = PdfWriter()
    first = PdfReader(io.BytesIO(front))
    writer.append(first, import_outline=False)
    for data in parts:
        writer.append(PdfReader(io.BytesIO(data)), import_outline=True)
    root = writer._root_object
    if "/Names" in root:
        del root[NameObject("/Names")]
    for name, index in sorted(starts.items()):
        writer.add_named_destination(name, index)
    if first.metadata:
        writer.add_metadata({k: v for k, v in first.metadata.items()})
    if "/Lang" in first.trailer["/Root"]:
        root[NameObject("/Lang")] = first.trailer["/Root"]["/Lang"]
    overlay = PdfReader(io.BytesIO(footers))
    for page, furniture in zip(writer.pages, overlay.pages, strict=True):
        page.merge_page(furniture)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _render_footers(total: int) -> Rendered:
    assert _BOOK is not None
    return _footers(_BOOK, total)


def _footers(book: Book, total: int) -> Rendered:
    """`total` empty pages with the book's own footer rules: "page X of Y" for the whole book."""
    from builder.render import render_template

    css = (
        "@page { background: none; @top-left { content: none; } @top-right { content: none; } }"
        "@page cover { background: none; } @page front { background: none; }"
        ".furniture { break-after: page; height: 0; margin: 0; }"
        ".furniture-cover { page: cover; } .furniture-front { page: front; }"
    )
    html = render_template(
        "furniture.html.jinja",
        report=book.config.report,
        stylesheet=book.config.build.print_css,
        paper=_paper(book),
        css=css,
        total=total,
    )
    return render_pdf(book, html, PdfOptions())


def _paper(book: Book) -> str:
    from builder.render import page_size

    return page_size(book)
