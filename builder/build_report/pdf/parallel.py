"""Chapter-parallel PDF rendering for large books (`--jobs N`), reusing unchanged parts.

Chapters start on pages of their own, so a part (a long chapter, or a run of short ones) lays
out the same alone as inside the whole book: only what depends on the whole book differs. So:

1. `plan` (which may run in another process, see commands/build.py) renders every part's
   HTML, with the report title given to the running head as a literal (the cover that sets
   it is not there) and an empty stand-in for every anchor the part links to elsewhere (or
   WeasyPrint would drop the link), which the templates place where they are told to;
2. worker processes (workers.py; forked, or spawned where fork is missing) lay out and write
   the parts, largest first, holding back only the margin boxes that show a page number
   (internals.Part), and send each part with its anchors. A part whose HTML and inputs are
   unchanged since an earlier build comes from the cache (cache.PartStore) instead: parts
   carry no page numbers, so they fit anywhere. In the live preview, a changed chapter may be
   laid out from the page its edit touched only, its other pages kept (live.py);
3. with every part counted, each process makes its parts' footers ("page X of Y") as an
   overlay, and the footers of reused parts (unless kept from an earlier build with the same
   numbers) on empty pages with the book's own stylesheet; meanwhile the cover and contents
   are laid out with each entry's page number given as a literal;
4. pypdf stitches the parts (stitch.py), keeps each part's outline, rebuilds the named
   destinations from the real anchors only, so every link lands where it does in a
   single-process build, and lays each footer over its page as a form XObject.

The result's outline, page labels, contents, furniture, text and link targets equal a
single-process build's (tests/pdf/test_parallel.py compares them page by page).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from build_report import console
from build_report.pdf.adapter import (
    Layout,
    PdfOptions,
    Rendered,
    count_pages,
    lay_out,
    page_limit,
    strictly,
)
from build_report.pdf.internals import page_numbers
from build_report.pdf.live import Window
from build_report.pdf.split import pieces, size
from build_report.pdf.stitch import preload, stitch
from build_report.pdf.workers import Workers, footers, process_count
from build_report.project.model import Book
from build_report.writers import Written

ID_ATTR = re.compile(r"""\bid="([^"]+)\"""")
HREF = re.compile(r"""\bhref="#([^"]+)\"""")
TAG = re.compile(r"<[^>]*>")
TOC_ENTRY = 'data-toc-entry="{}"'  # the contents template marks each entry with its chapter
STAND_INS = "build-report-stand-ins"  # the spot where a document's stand-ins go (see plan)
FURNITURE_PAGE = re.compile(r"<[^>]*\bdata-furniture-page\b[^>]*>\s*</div>\s*")
PART_CHARS = 30_000  # about ten pages: a chapter this long is a part of its own
LIVE_PART_CHARS = 1  # preview --pdf: each chapter a part, so that an edit lays out its own


CSS_PLAIN = re.compile(r"[^\\\"'<>&\x00-\x1f\x7f-\x9f\u2028\u2029]")


def css_string(text: str) -> str:
    """`text` as a quoted CSS string, whatever it holds: every character that could end the
    string (a quote, a backslash, a newline), end the <style> element (`<`), or that CSS
    would read otherwise (control characters) is written as a hexadecimal escape, e.g. a
    newline as `\\a `. The one way a string from the user reaches our CSS."""
    return '"' + "".join(ch if CSS_PLAIN.match(ch) else _css_escape(ch) for ch in text) + '"'


def _css_escape(ch: str) -> str:
    """A hexadecimal escape; NUL, which CSS turns into U+FFFD anyway, is said so."""
    return f"\\{ord(ch) or 0xFFFD:x} "


def parts(sizes: list[int], continued: list[bool], limit: int) -> list[list[int]]:
    """Consecutive units (chapters, or pieces of a long one: split.py) cut into parts: a long
    unit alone, short ones batched.

    A part is both the unit of work and the unit of reuse (an edited chapter lays out its own
    part again, nothing else), so parts follow chapters, and where they fall depends on no
    other chapter's length. Each part costs a little (the stylesheet and fonts are loaded for
    it), hence the batching of short chapters up to `limit` (PART_CHARS). A later piece of a
    chapter is a part of its own, whose outline goes under its chapter's (stitch.py).
    """
    out: list[list[int]] = []
    batch: list[int] = []
    load = 0
    for unit, length in enumerate(sizes):
        if length >= limit or continued[unit]:
            if batch:
                out.append(batch)
                batch, load = [], 0
            out.append([unit])
            continue
        batch.append(unit)
        load += length
        if load >= limit:
            out.append(batch)
            batch, load = [], 0
    if batch:
        out.append(batch)
    return out


def units(items: list) -> tuple[list, list[int]]:
    """The rendered chapters as units of layout, with their estimated sizes: a chapter, or
    the pieces of a long one (split.py), each sized by its share of the chapter's HTML."""
    out: list = []
    sizes: list[int] = []
    for item in items:
        length = size(item.chapter)
        found = pieces(item, length)
        whole = sum(len(str(piece.body)) for piece in found) or 1
        for piece in found:
            out.append(piece)
            sizes.append(max(1, length * len(str(piece.body)) // whole))
    return out, sizes


def _stand_ins(html: str, book_ids: frozenset[str]) -> list[str]:
    """The link targets of `html` that are in another part. (A target that is nowhere in the
    book gets none: WeasyPrint warns about it, as in one process.)"""
    return sorted((set(HREF.findall(html)) - set(ID_ATTR.findall(html))) & book_ids)


def _placed(html: str, missing: list[str]) -> str:
    """A document rendered with the STAND_INS spot, with its stand-ins there (as the
    templates write them: an empty span for each)."""
    from markupsafe import escape

    spans = "".join(f'<span id="{escape(ident)}"></span>' for ident in missing)
    return html.replace(f'<span id="{STAND_INS}"></span>', spans)


def _dests(data: bytes) -> tuple[int, dict[str, int]]:
    """A part's (or the front's) page count and named destinations ({name: page index}),
    read with pikepdf, as stitch.py reads it (pypdf's import alone took 0.17 s of the
    build's serial end)."""
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(data))
    pages = {page.objgen: i for i, page in enumerate(pdf.pages)}
    found: dict[str, int] = {}
    names = pdf.Root.get("/Names")
    tree = None if names is None else names.get("/Dests")
    if tree is not None:
        for name, value in pikepdf.NameTree(tree).items():
            target = value if isinstance(value, pikepdf.Array) else value.get("/D")
            if target is not None and len(target) and target[0].objgen in pages:
                found[str(name)] = pages[target[0].objgen]
    return len(pdf.pages), found


@dataclass(frozen=True)
class Plan:
    """A parallel build worked out from the Book, as plain data: the parts' HTML (with their
    stand-in anchors), the front's HTML, and what numbering needs. It can be made in another
    process (commands/build.py) while this one imports the engine."""

    layout: Layout  # the book's settings and sources; each part swaps in its own HTML
    parts: list[tuple[str, list[str]]]  # (html, stand-in anchors), in book order
    order: list[int]  # the parts by decreasing size: the order to lay them out in
    sizes: list[int]  # each part's length in characters of source
    front: tuple[str, list[str]]  # the cover and contents, with their stand-ins
    anchors: list[str]  # each chapter's anchor, in book order
    footer: str  # the furniture page of the footer runs, before numbering (see _footer_html)
    continued: list[bool]  # whether a part goes on with the chapter before it (split.py)
    pages_name: str = ""  # the record of the book's pages, as the whole book's HTML names it
    summary: bool = False  # whether the first part is the summary page (no chapter text)
    # live builds (live.py): each whole chapter part's (anchor, frame, body elements), and
    # the parts laid out as a window of their chapter
    chapters: dict[int, tuple[str, str, tuple[str, ...]]] = field(default_factory=dict)
    windows: dict[int, Window] = field(default_factory=dict)


def plan(book: Book, output: Path, part_chars: int | None = None, live: bool = False) -> Plan:
    """Everything a parallel build needs of the Book. The summary page, when the book has one,
    is a part of its own before the chapters: it needs no page numbers, and in a long book it
    is long (a page for about every eight chapters), too long to lay out twice with the
    contents. `live` (preview --pdf): a chapter changed since the session's last build is
    laid out from where the change is (live.py), when it can be."""
    from build_report.html.documents import chapters_html, print_document
    from build_report.markup.renderer import PRINT

    running_title = f"@page {{ @top-left {{ content: {css_string(book.config.report.title)}; }} }}"
    chapters = chapters_html(book, PRINT)
    laid, unit_sizes = units(chapters)
    continued = [hasattr(unit, "continued") for unit in laid]
    cut = parts(unit_sizes, continued, PART_CHARS if part_chars is None else part_chars)

    # every document is rendered once, with a spot where its stand-ins go once the book's
    # anchors are known
    spot = [STAND_INS]
    plain = [
        print_document(
            book,
            part="chapters",
            extra_css=running_title,
            stand_ins=spot,
            chapters=[laid[unit] for unit in members],
        )
        for members in cut
    ]
    part_sizes = [sum(unit_sizes[unit] for unit in members) for members in cut]
    part_continued = [continued[members[0]] for members in cut]
    if book.summary_chapters:
        summary = print_document(
            book, part="summary", extra_css=running_title, stand_ins=spot, chapters=chapters
        )
        plain.insert(0, summary)
        part_sizes.insert(0, len(TAG.sub("", summary)))  # its text, as a chapter's source
        part_continued.insert(0, False)
    front = print_document(
        book, part="front", extra_css=_LITERAL_TOC, stand_ins=spot, chapters=chapters
    )
    book_ids = frozenset(
        i for html in [front, *plain] for i in ID_ATTR.findall(html) if i != STAND_INS
    )
    missing = [_stand_ins(html, book_ids) for html in plain]
    marked = [(_placed(html, m), m) for html, m in zip(plain, missing, strict=True)]
    front_missing = _stand_ins(front, book_ids)
    chapters_of, windows = {}, {}
    if live:
        offset = 1 if book.summary_chapters else 0
        found = [(members, laid[members[0]]) for members in cut]
        chapters_of, windows = _live_windows(book, found, marked, offset, running_title, book_ids)
    from build_report.pages.record import PageStore
    from build_report.pdf.split import marked as split_marked

    # the ebook finds the pages by the one document a single process lays out (the same book)
    whole = print_document(book, chapters=split_marked(chapters))
    return Plan(
        layout=Layout.of(book, ""),
        parts=marked,
        order=sorted(range(len(marked)), key=lambda i: -part_sizes[i]),
        sizes=part_sizes,
        front=(_placed(front, front_missing), front_missing),
        anchors=[ch.anchor for ch in book.chapters],
        footer=_footer_html(book),
        continued=part_continued,
        pages_name=PageStore(book.root, book.config.build.output_dir).name(whole),
        summary=bool(book.summary_chapters),
        chapters=chapters_of,
        windows=windows,
    )


def _live_windows(book: Book, units: list, marked: list, offset: int, running_title: str, ids):
    """The live build's chapters (Plan.chapters), and the windows it lays out instead of a
    changed chapter's whole part (live.py), whose HTML goes in `marked` in its place."""
    from markupsafe import Markup

    from build_report.html.documents import print_document
    from build_report.markup.apparatus import prints_pages
    from build_report.pdf.internals import stop_meta
    from build_report.pdf.live import WINDOW_CSS, frame, hidden, read_index, sided, window
    from build_report.pdf.split import NOTE, Piece, top_level
    from build_report.processes import scratch

    # no windows where pages are styled by their side, or where the text prints page numbers
    # (a window would count its own)
    closed = sided(book.root, book.config.print_stylesheets) or prints_pages(book)
    index = {} if closed else read_index(scratch())
    chapters: dict[int, tuple[str, str, tuple[str, ...]]] = {}
    windows: dict[int, Window] = {}
    for k, (members, unit) in enumerate(units):
        if len(members) != 1 or hasattr(unit, "continued"):
            continue
        i = k + offset
        body = str(unit.body)
        tops = top_level(body)
        if tops is None:
            continue
        html, missing = marked[i]
        chapters[i] = (unit.chapter.anchor, frame(html, body), tuple(tops))
        before = index.get(unit.chapter.anchor)
        if before is None or before.html == html or before.frame != chapters[i][1]:
            continue
        found = window(before, tops)
        if found is None:
            continue
        start, first, stops = found
        meta = "<head>\n" + stop_meta(sorted(stops))
        if start == 0:  # the whole part, stopping where it can
            own, text = missing, html.replace("<head>", meta, 1)
        else:  # the elements before the window are there, not shown: selectors see them
            notes = sum(element.count(NOTE) for element in tops[:start])
            title = css_string(unit.chapter.title)
            shown = "\n".join([*map(hidden, tops[:start]), *tops[start:]])
            piece = Piece(unit.chapter, Markup(shown), notes, title)
            text = print_document(
                book,
                part="chapters",
                extra_css=running_title + WINDOW_CSS,
                stand_ins=[STAND_INS],
                chapters=[piece],
            ).replace("<head>", meta, 1)
            own = _stand_ins(text, ids)
            text = _placed(text, own)
        grown = len(tops) - len(before.tops)
        windows[i] = Window((html, missing), before.html, before.pages, start, first, stops, grown)
        marked[i] = (text, own)
    return chapters, windows


def run(plan: Plan, output: Path, options: PdfOptions, jobs: int) -> tuple[bytes, Written]:
    """Lay out the plan's parts in `jobs` processes, then number their pages once all are
    counted, lay out the contents, and stitch everything: the bytes of `output`, and what it
    will be. The book's limits hold for the whole: its pages are counted across processes
    (max_pages), and every process keeps the build's one deadline (time_limit)."""
    from build_report.pdf.adapter import load_engine

    layout = plan.layout
    warnings = strictly(list(layout.warnings), options)  # before the engine: --strict stops
    load_engine()  # once, here: every forked worker inherits it
    marked = list(plan.parts)
    store = _part_store(layout.config, options, len(marked))
    cached, windows = _reused(plan, marked, store)
    todo = [i for i in plan.order if i not in cached]
    count = process_count(len(todo), jobs, len(cached))
    from build_report.pdf.writer import estimated_pages

    # one bar for the whole: every page of every part, laid out and then painted
    console.current.step(
        "laying out",
        0.05,
        0.5,
        sum(estimated_pages(marked[i][0]) for i in todo) + estimated_pages(plan.front[0]),
        f"laying out {len(todo)} of {len(marked)} parts in {count} processes"
        + (f" ({len(cached)} unchanged)" if cached else ""),
    )
    reused_pages = sum(r.pages for r in cached.values())
    reused_pages += sum(window.first for window, _ in windows.values())  # kept at least
    if reused_pages > layout.config.build.max_pages:
        raise page_limit(layout.config.build.max_pages)
    part_options = replace(options, strict=False, jobs=1)  # strict is applied to the whole
    htmls = [html for html, _ in marked]
    workers = Workers(todo, count, htmls, layout, part_options, reused_pages)
    front_html, front_missing = plan.front
    try:
        # meanwhile: how long are the cover and contents? (numbers do not change that; their
        # pages count towards max_pages with the parts')
        counted = workers.options
        # (an earlier build's front, kept under the HTML before numbering, says it at once)
        earlier = store.get(_unclocked(front_html) + "<!-- its length -->") if store else None
        if earlier is not None:
            front_pages = earlier.pages
        else:
            front_pages = count_pages(replace(layout, html=front_html), counted)
        preload()  # pikepdf, for stitching, while the processes work
        counts = workers.counted()  # part -> (its pages, {anchor: page index}), unwritten
        resumed = {i: _splice_count(counts, i, *windows[i]) for i in windows}
        starts: dict[str, int] = {}
        firsts: dict[int, int] = {}
        offset = front_pages
        for i, (_, missing) in enumerate(marked):
            pages, dests = counts[i][:2] if i in counts else _dests(cached[i].data)
            if i in windows:  # its anchors, checked already (_splice_count)
                missing = []
            firsts[i] = offset + 1
            for name, index in dests.items():
                if name not in missing:
                    starts[name] = offset + index
            offset += pages
        total = offset
        if windows and total > layout.config.build.max_pages:
            raise page_limit(layout.config.build.max_pages)
        # the footers of reused parts: reused too, unless their numbers changed
        made_footers: dict[int, Rendered] = {}
        extra = []
        reused = {i: r.pages for i, r in cached.items()} | {i: counts[i][0] for i in windows}
        for i in sorted(reused):
            html = _numbered(plan.footer, firsts[i], reused[i], total)
            found = store.get(html) if store else None
            if found is None:
                extra.append((i, firsts[i], html))
            else:
                made_footers[i] = found
        console.current.step(
            "writing, laying out the contents",
            0.5,
            0.93,
            # the parts painted; the contents laid out and painted; every footer painted
            sum(count[0] for count in counts.values())
            + 2 * front_pages
            + total
            - front_pages
            - sum(reused[i] for i in made_footers),
            f"numbering pages, laying out the contents and {len(extra)} runs of footers",
        )
        # the processes write their parts meanwhile, then number them
        workers.number(firsts, total, extra)
        for anchor in plan.anchors:
            entry = TOC_ENTRY.format(anchor)
            front_html = front_html.replace(entry, f'{entry} data-page="{starts[anchor] + 1}"', 1)
        # the numbered front of an earlier build with the same numbers and total, if kept
        front_key = f"{_unclocked(front_html)}<!-- the front of a book of {total} pages -->"
        front = store.get(front_key) if store else None
        if front is None:
            with page_numbers(1, total):
                front = lay_out(replace(layout, html=front_html), part_options)
        laid, numbered, made = workers.results()
        for i, first, html in extra:
            made_footers[i] = made[i] if workers.count else footers(layout, first, total, html)
    finally:
        workers.close()

    front_count, front_dests = _dests(front.data)
    if front_count != front_pages:  # cannot happen: numbers sit in a fixed-width leader line
        raise RuntimeError("the contents changed length once page numbers were filled in")
    for name, index in front_dests.items():
        if name not in front_missing:
            starts[name] = index

    for i, (window, old) in windows.items():  # the window's pages between the last layout's
        numbered.pop(i, None)
        cached[i] = _spliced(
            window, old, laid.pop(i), counts[i][1], resumed[i], plan.chapters[i][2]
        )
    done = [laid[i] if i in laid else cached[i] for i in range(len(marked))]
    overlays = [numbered[i] if i in numbered else made_footers[i].data for i in range(len(marked))]
    diagnostics = warnings + strictly(
        front.diagnostics + [d for r in done for d in r.diagnostics], options
    )
    if store:
        for i in laid:  # the part, and its footers under the key of the footers made alone
            store.put(marked[i][0], done[i])
            html = _numbered(plan.footer, firsts[i], done[i].pages, total)
            store.put(html, replace(done[i], data=numbered[i], starts=()))
        from build_report.pdf.live import SPLICED

        for i, (window, _) in windows.items():
            store.put(window.whole[0] + SPLICED, done[i])
        for i, _, html in extra:
            store.put(html, made_footers[i])
        store.put(front_key, front)
        store.put(_unclocked(plan.front[0]) + "<!-- its length -->", front)
        _record_pages(layout, plan, front, done)
    if plan.chapters and store:  # (without the store, no window can use it)
        _keep_live(plan, marked, windows, done)
    console.current.step("stitching", 0.93, 0.98)
    data = stitch(
        front.data,
        [r.data for r in done],
        starts,
        overlays,
        plan.continued,
        pdf_date(layout.created),  # this build's, also when the front is an earlier build's
    )
    inputs = tuple(dict.fromkeys(p for r in [front, *done] for p in r.inputs))
    return data, Written(output, total, None, diagnostics, inputs)


def _reused(plan: Plan, marked: list, store) -> tuple[dict[int, Rendered], dict]:
    """The parts an earlier build made ({part: Rendered}), and the live windows to lay out
    ({part: (Window, the last layout's Rendered)}). A window's part found whole in the store
    is taken from there; one whose last layout the store no longer has is laid out whole (its
    HTML goes back in `marked`)."""
    cached: dict[int, Rendered] = {}
    windows: dict[int, tuple[Window, Rendered]] = {}
    for i, (html, _) in enumerate(marked):
        window = plan.windows.get(i)
        found = _kept(store, window.whole[0] if window else html, i in plan.chapters)
        if found is not None:
            cached[i] = found
        elif window is not None:
            old = _kept(store, window.old, True)
            if old is not None and old.pages == window.old_pages and old.levels is not None:
                windows[i] = (window, old)
                continue
        if window is not None:
            marked[i] = window.whole
    return cached, windows


def _kept(store, html: str, live: bool) -> Rendered | None:
    """The part the store keeps under `html`; for a live build's chapter, also a part that a
    live build spliced (live.SPLICED: only live builds take those)."""
    if not store:
        return None
    from build_report.pdf.live import SPLICED

    found = store.get(html)
    return store.get(html + SPLICED) if found is None and live else found


def _splice_count(counts: dict, i: int, window: Window, old: Rendered) -> int:
    """Once window `i` is laid out: the page of the last layout it goes on with (its end, if
    it went to the chapter's end), and, in `counts`, the spliced part's pages and anchors."""
    pages, anchors, stopped = counts[i]
    resumed = old.pages if stopped is None else window.stops[stopped]
    first, shift = window.first, window.first + pages - resumed
    missing = set(window.whole[1])
    dests: dict[str, int] = {}
    _, before = _dests(old.data)
    for name, page in before.items():
        if page < first and name not in missing:
            dests[name] = page
    for name, page in anchors.items():
        if name not in missing:
            dests.setdefault(name, first + page)
    for name, page in before.items():
        if page >= resumed and name not in missing:
            dests.setdefault(name, page + shift)
    counts[i] = (first + pages + old.pages - resumed, dests, stopped)
    return resumed


def _spliced(window: Window, old: Rendered, laid: Rendered, dests, resumed: int, tops) -> Rendered:
    """The chapter's part: the last layout's pages around the window's (splice.py)."""
    from build_report.pdf.live import tag_of
    from build_report.pdf.splice import splice

    first = window.first
    shift = first + laid.pages - resumed
    data, levels = splice(
        old.data, old.levels or (), first, resumed, laid.data, laid.levels or (), dests
    )
    clean = [start for start in old.clean if start[1] < first]
    if window.start:  # (a window from the chapter's head starts no page cleanly)
        clean.append((window.start, first, tag_of(tops[window.start])))
    clean += [(k, page + first, tag) for k, page, tag in laid.clean]
    clean += [(k + window.grown, p + shift, tag) for k, p, tag in old.clean if p >= resumed]
    inputs = tuple(dict.fromkeys([*old.inputs, *laid.inputs]))
    pages = first + laid.pages + old.pages - resumed  # as _splice_count said
    return Rendered(data, pages, laid.diagnostics, inputs, (), tuple(clean), levels)


def _keep_live(plan: Plan, marked: list, windows: dict, done: list[Rendered]) -> None:
    """What the next live build needs of this one's chapters (live.py)."""
    from build_report.pdf.live import Laid, write_index
    from build_report.processes import scratch

    laid = {}
    for i, (anchor, frame, tops) in plan.chapters.items():
        html = windows[i][0].whole[0] if i in windows else marked[i][0]
        laid[anchor] = Laid(html, frame, tops, tuple(done[i].clean), done[i].pages)
    write_index(scratch(), laid)


def warm_up_on_book(plan: Plan) -> None:
    """The live preview's worker, after its first build: warm on the smallest chapter part
    (adapter.warm_up_on), cut to its first elements (`_opening`), short enough not to hold
    up the next build: a long book's smallest chapter was ten pages, and the edit that came
    a second after the first PDF waited for them."""
    from build_report.pdf.adapter import warm_up_on

    chapters = range(1 if plan.summary else 0, len(plan.parts))
    if chapters:
        smallest = min(chapters, key=lambda i: plan.sizes[i])
        html = plan.parts[smallest][0]
        if smallest in plan.chapters:
            html = _opening(html, plan.chapters[smallest][2])
        warm_up_on(replace(plan.layout, html=html))


def _opening(html: str, tops: tuple[str, ...], count: int = 4) -> str:
    """A chapter part's HTML with only the first `count` elements of its body (`tops`)."""
    start, end = html.find(tops[0]) if tops else -1, html.rfind(tops[-1]) if tops else -1
    if len(tops) <= count or start < 0 or end < start:
        return html
    return html[:start] + "\n".join(tops[:count]) + html[end + len(tops[-1]) :]


CLOCK = re.compile(r'<meta name="dcterms\.(?:created|modified)"[^>]*>\n?')


def _record_pages(layout: Layout, plan: Plan, front: Rendered, done: list[Rendered]) -> None:
    """Where each page of the book starts (the cover and contents: no chapter text), for the
    ebook, from the parts (pages/record.py); nothing when a part came without them."""
    from build_report.pages.record import PageStore, blank_start, page_map_of

    texts = done[1:] if plan.summary else done  # the summary page has no chapter text
    if not plan.pages_name or any(len(r.starts) != r.pages for r in texts):
        return
    blank = front.pages + (done[0].pages if plan.summary else 0)
    starts = [blank_start() for _ in range(blank)]
    starts += [start for r in texts for start in r.starts]
    inputs = tuple(dict.fromkeys(p for r in [front, *done] for p in r.inputs))
    store = PageStore(layout.root, layout.config.build.output_dir)
    store.put_named(plan.pages_name, page_map_of(starts), inputs)


def _unclocked(front: str) -> str:
    """The front's HTML without the build's clock (its metadata dates, which change every
    second): what the front is kept under, so a rebuild reuses it while its text is the same
    (the cover's date is text); stitch.py dates the PDF with the new build's clock."""
    return CLOCK.sub("", front)


def pdf_date(created) -> str:
    """A datetime as WeasyPrint writes it in a PDF's /CreationDate: D:YYYYMMDDHHmmSS+HH'mm."""
    offset = created.utcoffset()
    if offset is None:
        return f"D:{created:%Y%m%d%H%M%S}"
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"D:{created:%Y%m%d%H%M%S}{sign}{hours:02d}'{mins:02d}"


def _part_store(config, options: PdfOptions, parts: int = 0):
    """Where unchanged parts are kept between builds (None with --no-cache or the network on):
    room for every part of this book, with its footers in two numberings and the front, so
    that a book of many parts does not push out its own parts (cache.PART_LIMIT at least)."""
    if not options.uses_store:
        return None
    from build_report.cache import PART_LIMIT, PartStore
    from build_report.files import output_folder

    limit = max(PART_LIMIT, 3 * parts + 8)
    return PartStore(output_folder(config.root, config.build.output_dir), config.root, limit)


_LITERAL_TOC = '.toc-list a::after { content: leader(". ") attr(data-page); }'


def _footer_html(book: Book) -> str:
    """An HTML page of empty pages with the book's own footer rules, for "page X of Y" over
    the chapter pages of a reused part; `_numbered` fills in the pages."""
    from build_report.html.documents import page_size
    from build_report.html.templates import fill

    css = (
        "@page { background: none; @top-left { content: none; } @top-right { content: none; } }"
        ".furniture { break-after: page; height: 0; margin: 0; }"
    )
    return fill(
        "furniture.html.jinja",
        report=book.config.report,
        words=book.words,
        dir=book.dir,
        stylesheet=book.config.build.print_css,
        paper=page_size(book),
        css=css,
    )


def _numbered(footer: str, first: int, pages: int, total: int) -> str:
    """Pages `first`.. (`pages` of them) of the footer HTML: the template's one page (marked
    `data-furniture-page`) repeated. The numbers are set during layout (`page_numbers`); a
    comment names them, so that the HTML identifies the footers it makes (the part cache is
    keyed by it)."""
    page = FURNITURE_PAGE.search(footer)
    if page is None:
        raise RuntimeError("furniture.html.jinja has no element marked data-furniture-page")
    html = footer[: page.start()] + page.group(0) * pages + footer[page.end() :]
    return f"{html}<!-- pages {first} to {first + pages - 1} of {total} -->\n"
