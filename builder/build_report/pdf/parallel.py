"""Chapter-parallel PDF rendering for large books (`--jobs N`), reusing unchanged parts.

Chapters start on pages of their own, so a part (a long chapter, or a run of short ones) lays
out the same alone as inside the whole book: only what depends on the whole book differs. So:

1. `plan` (which may run in another process, see build.py) renders every part's HTML, with
   the report title given to the running head as a literal (the cover that sets it is not
   there) and an empty stand-in for every anchor the part links to elsewhere (or WeasyPrint
   would drop the link);
2. forked processes lay out and write the parts, largest first, holding back only the margin
   boxes that show a page number (furniture.Part), and send each part with its anchors. A
   part whose HTML and inputs are unchanged since an earlier build comes from the cache
   (cache.PartStore) instead: parts carry no page numbers, so they fit anywhere;
3. with every part counted, each process makes its parts' footers ("page X of Y") as an
   overlay, and the footers of reused parts (unless kept from an earlier build with the same
   numbers) on empty pages with the book's own stylesheet; meanwhile the cover and contents
   are laid out with each entry's page number given as a literal;
4. pypdf stitches the parts, keeps each part's outline, rebuilds the named destinations from
   the real anchors only, so every link lands where it does in a single-process build, and
   lays each footer over its page as a form XObject.

The result's outline, page labels, contents, furniture, text and link targets equal a
single-process build's (tests/test_parallel.py compares them page by page).
"""

from __future__ import annotations

import io
import multiprocessing
import re
from dataclasses import dataclass, replace
from pathlib import Path

import click

from build_report import files
from build_report import console as progress
from build_report.markup.parser import PRINT
from build_report.project.model import Book
from build_report.pdf.adapter import (
    Layout,
    PdfOptions,
    PdfResult,
    Rendered,
    load_engine,
    page_numbers,
    render_pdf,
    strictly,
)
from build_report.html.documents import render_chapters, render_print

_LAYOUT: Layout | None = None  # the book's settings, inherited by forked workers (never pickled)
_OPTIONS = PdfOptions()  # likewise: the user's options for each part (strict is applied after)
ID_ATTR = re.compile(r"""\bid="([^"]+)\"""")
HREF = re.compile(r"""\bhref="#([^"]+)\"""")


def css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ") + '"'


PART_CHARS = 30_000  # about ten pages: a chapter this long is a part of its own


def _size(chapter) -> int:
    return sum(len(t.content) for t in chapter.tokens) + 1


def parts(book: Book) -> list[list[str]]:
    """Consecutive chapters cut into parts: a long chapter alone, short ones batched.

    A part is both the unit of work and the unit of reuse (an edited chapter lays out its own
    part again, nothing else), so parts follow chapters, and where they fall depends on no
    other chapter's length. Each part costs a little (the stylesheet and fonts are loaded for
    it), hence the batching of short chapters up to PART_CHARS.
    """
    target = PART_CHARS
    out: list[list[str]] = []
    batch: list[str] = []
    load = 0
    for chapter in book.chapters:
        size = _size(chapter)
        if size >= target:
            if batch:
                out.append(batch)
                batch, load = [], 0
            out.append([chapter.slug])
            continue
        batch.append(chapter.slug)
        load += size
        if load >= target:
            out.append(batch)
            batch, load = [], 0
    if batch:
        out.append(batch)
    return out


def _with_stand_ins(html: str, marker: str, book_ids: set[str]) -> tuple[str, list[str]]:
    """Give every link target that is in another part an empty element to point at. (A target
    that is nowhere in the book gets none: WeasyPrint warns about it, as in one process.)"""
    present = set(ID_ATTR.findall(html))
    missing = sorted((set(HREF.findall(html)) - present) & book_ids)
    spans = "".join(f'<span id="{ident}"></span>' for ident in missing)
    return html.replace(marker, marker + spans, 1), missing


def _render_part(html: str) -> Rendered:
    assert _LAYOUT is not None
    return render_pdf(replace(_LAYOUT, html=html), _OPTIONS)


def _dests(data: bytes) -> tuple[int, dict[str, int]]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    found = {
        str(k): reader.get_destination_page_number(v) for k, v in reader.named_destinations.items()
    }
    return len(reader.pages), found


@dataclass(frozen=True)
class Plan:
    """A parallel build worked out from the Book, as plain data: the parts' HTML (largest
    first, with their stand-in anchors), the front's HTML, and what numbering needs. It can
    be made in another process (build.py) while this one imports the engine."""

    layout: Layout  # the book's settings and sources; each part swaps in its own HTML
    parts: list[tuple[str, list[str]]]  # (html, stand-in anchors), in book order
    order: list[int]  # the parts by decreasing size: the order to lay them out in
    sizes: list[int]  # each part's length in characters of source
    front: str
    book_ids: frozenset[str]
    anchors: list[str]  # each chapter's anchor, in book order
    footer: str  # the furniture page of the footer runs, before numbering (see _footer_html)


def plan(book: Book, output: Path) -> Plan:
    """Everything a parallel build needs of the Book."""
    files.check_target(output, book.root)
    title = css_string(book.config.report.title)
    running_title = f"@page {{ @top-left {{ content: {title}; }} }}"
    part_css = running_title
    cut = parts(book)
    sizes = {ch.slug: _size(ch) for ch in book.chapters}
    chapters = render_chapters(book, PRINT)
    pages_html = [
        render_print(book, part="chapters", only=set(slugs), extra_css=part_css, rendered=chapters)
        for slugs in cut
    ]
    front_html = render_print(book, part="front", extra_css=_literal_toc_css(), rendered=chapters)
    book_ids = frozenset(i for html in [front_html, *pages_html] for i in ID_ATTR.findall(html))
    marked = [_with_stand_ins(html, '<p class="chapter-number">', book_ids) for html in pages_html]
    part_sizes = [sum(sizes[slug] for slug in slugs) for slugs in cut]
    order = sorted(range(len(cut)), key=lambda i: -part_sizes[i])
    return Plan(
        layout=Layout.of(book, ""),
        parts=marked,
        order=order,
        sizes=part_sizes,
        front=front_html,
        book_ids=book_ids,
        anchors=[ch.anchor for ch in book.chapters],
        footer=_footer_html(book),
    )


def run(plan: Plan, output: Path, options: PdfOptions, jobs: int) -> PdfResult:
    """Lay out and write the plan's parts in `jobs` processes, then number their pages once
    all are counted, lay out the contents, and stitch everything into `output`."""
    global _LAYOUT, _OPTIONS
    load_engine()  # once, here: every forked worker inherits it
    marked = plan.parts
    store = _part_store(plan.layout.config, options)
    cached: dict[int, Rendered] = {}
    for i, (html, _) in enumerate(marked):
        found = store.get(html) if store else None
        if found is not None:
            cached[i] = found
    todo = [i for i in plan.order if i not in cached]
    assignment = _assign(todo, plan.sizes, jobs, len(cached))
    progress.current.stage(
        f"laying out {len(todo)} of {len(marked)} parts in {len(assignment)} processes"
        + (f" ({len(cached)} unchanged)" if cached else "")
    )
    toc_marker = '<h2 id="toc-title" class="toc-heading">'
    _LAYOUT = plan.layout
    _OPTIONS = replace(options, strict=False, jobs=1)
    workers = _Workers(assignment, [html for html, _ in marked])
    try:
        # meanwhile: how long are the cover and contents? (numbers do not change that)
        counting = _with_stand_ins(plan.front, toc_marker, plan.book_ids)[0]
        front_pages = _dests(_render_part(counting).data)[0]
        laid = workers.laid()  # part -> (the part written, {anchor: page index})
        starts: dict[str, int] = {}
        firsts: dict[int, int] = {}
        offset = front_pages
        for i, (_, missing) in enumerate(marked):
            pages, dests = (laid[i][0].pages, laid[i][1]) if i in laid else _dests(cached[i].data)
            firsts[i] = offset + 1
            for name, index in dests.items():
                if name not in missing:
                    starts[name] = offset + index
            offset += pages
        total = offset
        # the footers of reused parts: reused too, unless their numbers changed
        footers: dict[int, Rendered] = {}
        extra = []
        for i in sorted(cached):
            html = _numbered(plan.footer, firsts[i], cached[i].pages, total)
            found = store.get(html) if store else None
            if found is None:
                extra.append((i, firsts[i], html))
            else:
                footers[i] = found
        progress.current.stage(
            f"numbering pages, laying out the contents and {len(extra)} runs of footers"
        )
        workers.number(firsts, total, extra)
        front_html = plan.front
        for anchor in plan.anchors:
            front_html = front_html.replace(
                f'<a href="#{anchor}">',
                f'<a href="#{anchor}" data-page="{starts[anchor] + 1}">',
                1,
            )
        front_html, front_missing = _with_stand_ins(front_html, toc_marker, plan.book_ids)
        with page_numbers(1, total):
            front = _render_part(front_html)
        numbered, made = workers.results()
        for i, first, html in extra:
            footers[i] = made[i] if workers.count else _render_footers(first, total, html)
    finally:
        workers.close()
        _LAYOUT, _OPTIONS = None, PdfOptions()

    front_count, front_dests = _dests(front.data)
    if front_count != front_pages:  # cannot happen: numbers sit in a fixed-width leader line
        raise RuntimeError("the contents changed length once page numbers were filled in")
    for name, index in front_dests.items():
        if name not in front_missing:
            starts[name] = index

    done = [laid[i][0] if i in laid else cached[i] for i in range(len(marked))]
    overlays = [numbered[i] if i in numbered else footers[i].data for i in range(len(marked))]
    diagnostics = strictly(front.diagnostics + [d for r in done for d in r.diagnostics], options)
    if store:
        for i in laid:  # the part, and its footers under the key of the footers made alone
            store.put(marked[i][0], done[i])
            html = _numbered(plan.footer, firsts[i], done[i].pages, total)
            store.put(html, replace(done[i], data=numbered[i]))
        for i, _, html in extra:
            store.put(html, footers[i])
    progress.current.stage("stitching")
    data = _stitch(front.data, [r.data for r in done], starts, overlays)
    files.write_bytes(output, data)
    inputs = tuple(dict.fromkeys(p for r in [front, *done] for p in r.inputs))
    return PdfResult(output, total, diagnostics, inputs)


def _assign(todo: list[int], sizes: list[int], jobs: int, reused: int) -> list[list[int]]:
    """The parts to lay out, largest first, each given to the process with the least so far.
    With reused parts, every process is started: those with little to lay out make the
    reused parts' footers once the numbers are known."""
    count = min(jobs, len(todo) + (jobs if reused else 0))
    loads: list[tuple[int, list[int]]] = [(0, []) for _ in range(count)]
    for i in todo:
        loads.sort(key=lambda load: load[0])
        size, mine = loads[0]
        mine.append(i)
        loads[0] = (size + sizes[i], mine)
    loads.sort(key=lambda load: -load[0])  # the busiest first: footers go to the last
    return [mine for _, mine in loads]


class _Workers:
    """Forked processes, each laying out and writing its parts (furniture.Part) and sending
    them with their anchors, then, once told where each part starts and how long the book is,
    making the parts' numbered footers, and laying out any other footers it is given."""

    def __init__(self, assignment: list[list[int]], htmls: list[str]) -> None:
        context = multiprocessing.get_context("fork")
        self.pipes = []
        self.processes = []
        self.assignment = assignment
        for parts in assignment:
            mine, theirs = context.Pipe()
            mine_html = [(i, htmls[i]) for i in parts]  # forked, not pickled
            process = context.Process(target=_serve, args=(theirs, mine_html), daemon=True)
            process.start()
            theirs.close()
            self.pipes.append(mine)
            self.processes.append(process)

    @property
    def count(self) -> int:
        return len(self.pipes)

    def _receive(self, pipe):
        try:
            message = pipe.recv()
        except EOFError:
            raise RuntimeError("a layout process ended without a result") from None
        if message[0] == "error":
            raise message[1]
        if message[0] == "crash":
            raise RuntimeError(f"a layout process failed:\n{message[1]}")
        return message

    def laid(self) -> dict[int, tuple[Rendered, dict[str, int]]]:
        """Each part as laid out and written (without page numbers), with its anchors, read
        from whichever process has one ready (a process waits while its pipe is full)."""
        from multiprocessing.connection import wait

        found = {}
        pairs = zip(self.pipes, self.assignment, strict=True)
        waiting = {pipe: len(parts) for pipe, parts in pairs}
        while any(waiting.values()):
            for pipe in wait([p for p, n in waiting.items() if n]):
                _, i, rendered, anchors = self._receive(pipe)
                found[i] = (rendered, anchors)
                waiting[pipe] -= 1
        return found

    def number(self, firsts: dict[int, int], total: int, extra: list) -> None:
        """Where each part starts, the book's length, and the footers each process makes."""
        for k, pipe in enumerate(reversed(self.pipes)):  # the least busy first
            pipe.send((firsts, total, extra[k :: self.count]))

    def results(self) -> tuple[dict[int, bytes], dict[int, Rendered]]:
        """Each laid-out part's footers, and the other footers, as they come."""
        from multiprocessing.connection import wait

        numbered: dict[int, bytes] = {}
        made: dict[int, Rendered] = {}
        open_pipes = list(self.pipes)
        while open_pipes:
            for pipe in wait(open_pipes):
                message = self._receive(pipe)
                if message[0] == "end":
                    open_pipes.remove(pipe)
                elif message[0] == "numbers":
                    numbered[message[1]] = message[2]
                else:
                    made[message[1]] = message[2]
        return numbered, made

    def close(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()
            process.join()
        for pipe in self.pipes:
            pipe.close()


def _serve(pipe, parts: list[tuple[int, str]]) -> None:
    """A layout process (see _Workers)."""
    from build_report.pdf.engine import Part

    assert _LAYOUT is not None
    try:
        held = {}
        for i, html in parts:
            held[i] = Part(replace(_LAYOUT, html=html), _OPTIONS)
            pipe.send(("laid", i, held[i].rendered, held[i].anchors()))
        firsts, total, extra = pipe.recv()
        for i, _ in parts:
            pipe.send(("numbers", i, held.pop(i).numbers(firsts[i], total)))
        for i, first, html in extra:
            pipe.send(("footers", i, _render_footers(first, total, html)))
        pipe.send(("end",))
    except click.ClickException as exc:
        pipe.send(("error", exc))
    except BaseException:  # a bug: its traceback goes to the main process
        import traceback

        pipe.send(("crash", traceback.format_exc()))
    finally:
        pipe.close()


def _part_store(config, options: PdfOptions):
    """Where unchanged parts are kept between builds (None with --no-cache or the network on)."""
    if not options.reuse_parts or options.allow_network:
        return None
    from build_report.cache import PartStore
    from build_report.files import output_folder

    return PartStore(output_folder(config.root, config.build.output_dir), config.root)


def _literal_toc_css() -> str:
    return '.toc-list a::after { content: leader(". ") attr(data-page); }'


def _stitch(
    front: bytes, parts: list[bytes], starts: dict[str, int], footers: list[bytes]
) -> bytes:
    """One PDF from the parts: their pages and outlines in order, the real named destinations
    only, the front's metadata, and each part's footers (an overlay PDF a part) laid over its
    pages."""
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
    overlays = [None] * len(first.pages)  # the contents carry their own footers
    overlays += [page for data in footers for page in PdfReader(io.BytesIO(data)).pages]
    lay_over(writer, overlays)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def lay_over(writer, overlays) -> None:
    """Draw each overlay page on top of the writer's page of the same index.

    Each overlay becomes a form XObject with its own resources, and the page gets two short
    content streams around its own ("q" before, "Q /footer Do" after). pypdf's merge_page
    would parse and rewrite every page's content instead: slower, and stored uncompressed
    (a 2 MiB book came out at 23 MiB).
    """
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        EncodedStreamObject,
        NameObject,
    )

    def stream(text: bytes):
        obj = DecodedStreamObject()
        obj.set_data(text)
        return writer._add_object(obj)

    before, after = stream(b"q\n"), stream(b"Q\nq /BRfooter Do Q\n")
    for page, overlay in zip(writer.pages, overlays, strict=True):
        if overlay is None:
            continue
        content = overlay["/Contents"].get_object()
        form = EncodedStreamObject() if "/Filter" in content else DecodedStreamObject()
        form._data = content._data  # as stored: no decoding, no recompression
        if "/Filter" in content:
            form[NameObject("/Filter")] = content["/Filter"]
        form.update(
            {
                NameObject("/Type"): NameObject("/XObject"),
                NameObject("/Subtype"): NameObject("/Form"),
                NameObject("/BBox"): overlay.mediabox,
                NameObject("/Resources"): overlay["/Resources"].get_object().clone(writer),
            }
        )
        resources = DictionaryObject(page["/Resources"].get_object())
        xobjects = DictionaryObject(resources.get("/XObject", DictionaryObject()).get_object())
        xobjects[NameObject("/BRfooter")] = writer._add_object(form)
        resources[NameObject("/XObject")] = xobjects
        page[NameObject("/Resources")] = resources
        own = page["/Contents"]
        own = list(own.get_object()) if isinstance(own.get_object(), ArrayObject) else [own]
        page[NameObject("/Contents")] = ArrayObject([before, *own, after])


def _render_footers(first: int, total: int, html: str) -> Rendered:
    assert _LAYOUT is not None
    with page_numbers(first, total):
        return render_pdf(replace(_LAYOUT, html=html), PdfOptions())


def _footer_html(book: Book) -> str:
    """An HTML page of empty pages with the book's own footer rules, for "page X of Y" over
    the chapter pages of a reused part; `_numbered` fills in the pages."""
    from build_report.html.documents import render_template

    css = (
        "@page { background: none; @top-left { content: none; } @top-right { content: none; } }"
        ".furniture { break-after: page; height: 0; margin: 0; }"
    )
    return render_template(
        "furniture.html.jinja",
        report=book.config.report,
        stylesheet=book.config.build.print_css,
        paper=_paper(book),
        css=css,
    )


def _numbered(footer: str, first: int, pages: int, total: int) -> str:
    """Pages `first`.. (`pages` of them) of the footer HTML. The numbers are set during layout
    (`page_numbers`); a comment names them, so that the HTML identifies the footers it makes
    (the part cache is keyed by it)."""
    html = footer.replace("<!-- pages -->", '<div class="furniture"></div>\n' * pages, 1)
    return f"{html}<!-- pages {first} to {first + pages - 1} of {total} -->\n"


def _paper(book: Book) -> str:
    from build_report.html.documents import page_size

    return page_size(book)
