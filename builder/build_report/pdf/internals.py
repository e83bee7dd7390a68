"""Every use of WeasyPrint's internals, in one place: layout hooks, page state, `Document`/`Page`.

What this relies on, in WeasyPrint 70 (TESTED_VERSIONS; tests/pdf/test_internals.py fails,
naming this module, when another version is installed, and builds then fall back to what needs
no internals):
- `weasyprint.layout.make_margin_boxes(context, page, state)` is called once per page, after
  the whole document is paginated, and looked up on the module at each call (so it can be
  wrapped); `state[1]` is the page's counter values (`"page"`, `"pages"`: one-item lists);
  `context.current_page` is the 1-based page index it is making;
- `weasyprint.layout.page.make_margin_boxes` is the same function, callable again later with
  the kept (context, page, state) to make a page's margin boxes anew;
- `weasyprint.layout.background.layout_box_backgrounds(page, box, get_image_from_uri)` lays
  out a margin box's backgrounds;
- `weasyprint.document.Page(page_box)` and `Document(pages, metadata, url_fetcher,
  font_config, color_profiles, output_intent)` write pages made by hand;
- a margin box's `style["content"]` is a tuple of (kind, value) pairs, `("counter()",
  (name, style))` for `counter(name)`.
- `weasyprint.css.find_stylesheets` makes each sheet with `weasyprint.css.CSS(...)`, and a
  sheet's `matcher`, `page_rules` and `layers` are all the styles read of it (`parsed_once`).
- `weasyprint.layout.page.remake_page(index, context, root_box, html)` makes page `index` and
  returns (page, resume_at), looked up on the module at each call; `resume_at` is a skip
  stack ({child index: deeper stack, or None to start that child afresh}) into `root_box`;
  `context.page_maker[index + 1]` is (resume_at, next_page, right_page, page_state,
  remake_state), and pagination ends when `remake_page` returns None with no footnote
  carried over (`context.reported_footnotes`) (`Pagination`: where pages start, and a stop).
- `weasyprint.pdf.fonts` makes its arrays with `ffi.new(f"hb_codepoint_t[{n}]", items)`
  of exactly n items, through its module-level `ffi` (`typed_arrays`).
- `weasyprint.draw.text.draw_first_line(stream, textbox, text_overflow, block_ellipsis,
  matrix)` draws a line's glyphs, looked up on the module at each call; a line's runs are
  `textbox.pango_layout.get_first_line()[0].runs`, each a `PangoGlyphItem` whose
  `PangoGlyphInfo` is (glyph: guint32, width, x_offset, y_offset: gint32, attr: guint32),
  20 bytes; `stream.add_font(pango_font)` gives (font, size), with the font's `widths`,
  `to_unicode`, `bitmap`, `svg`, `png`, `colr` and `hash` (`glyph_runs`).
- `FontConfiguration.add_font_face` writes each face to `_folder / md5(descriptors)` (making
  the folder with `mkdtemp` when `_folder` is None) and registers it with Fontconfig, and
  registers nothing when that file exists already (`own_font_folder`).

## Parts laid out now, numbered later (chapter-parallel builds)

A part's page numbers ("page X of Y") are known only once every part before it has been laid
out, and the total only at the very end. WeasyPrint makes each page's margin boxes after the
whole document is paginated, from the page counters it keeps for that page, so we hold that
step in: `Part` lays the document out and writes it at once with every margin box that does
not show a page number (running heads), keeping each page's state; `Part.numbers` then makes
the margin boxes that do (footers) with the real numbers, as an overlay of the same pages. The
part itself is the same whatever the numbers are, which is also what lets an unchanged part be
reused in a later build; the overlay is cheap to make.

tests/pdf/test_parallel.py compares every page with a single-process build.
"""

from __future__ import annotations

import contextlib
import copy
import re
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from build_report.pdf.adapter import (
    Layout,
    PdfOptions,
    Rendered,
    checked,
    engine,
    html_document,
    render,
)
from build_report.pdf.stack import roomy

PAGE_COUNTERS = ("page", "pages")
TESTED_VERSIONS = ("70.",)  # WeasyPrint versions whose internals this module was tested with


def engine_version() -> str:
    """The installed WeasyPrint's version, read from its metadata (no import of the engine)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("weasyprint")
    except PackageNotFoundError:
        return "unknown"


def pango_version() -> str:
    """The version of the Pango library WeasyPrint will load, asked of the library itself
    through ctypes (cheap: importing WeasyPrint to ask would cost half a second)."""
    import ctypes

    for name in ("libpango-1.0.so.0", "libpango-1.0.0.dylib", "libpango-1.0-0.dll"):
        try:
            library = ctypes.CDLL(name)
        except OSError:
            continue
        library.pango_version_string.restype = ctypes.c_char_p
        return library.pango_version_string().decode()
    return "unknown"


def supported() -> bool:
    """Whether the installed WeasyPrint is one this module was tested with. Callers fall back
    to what needs no internals (one process) when it is not."""
    return engine_version().startswith(TESTED_VERSIONS)


@contextlib.contextmanager
def page_numbers(first: int, total: int) -> Iterator[None]:
    """Number the pages of the next layout from `first`, out of `total`: WeasyPrint gives the
    page counters to the margin boxes of each page as it makes them, and we set them there."""
    import weasyprint.layout as layout

    original = layout.make_margin_boxes

    def numbered(context, page, state):
        counters = state[1]
        counters["page"] = [first + context.current_page - 1]
        counters["pages"] = [total]
        return original(context, page, state)

    layout.make_margin_boxes = numbered
    try:
        yield
    finally:
        layout.make_margin_boxes = original


@contextlib.contextmanager
def painting(tick) -> Iterator[None]:
    """Call `tick()` as each page is painted into the PDF (`weasyprint.document.Page.paint`,
    once a page in `write_pdf`): the half of a build that WeasyPrint's progress log is silent
    about, shown on the progress bar. A version without the method paints unwatched."""
    from weasyprint.document import Page

    original = Page.__dict__.get("paint")
    if original is None:
        yield
        return

    def paint(self, *args, **kwargs):
        try:
            return original(self, *args, **kwargs)
        finally:
            tick()

    Page.paint = paint
    try:
        yield
    finally:
        Page.paint = original


@contextlib.contextmanager
def typesetting() -> Iterator[None]:
    """Hyphenation as a typesetter sets it, which CSS cannot ask of WeasyPrint 70 (it has no
    `hyphenate-limit-lines` and no `hyphenate-limit-last`):
    - at most two lines in a row end in a hyphen: the third is set without hyphenating;
    - no word is split across a page turn: a line that would end a page with a hyphen is set
      again without hyphenating, so the word goes whole to the next page.

    It relies on `weasyprint.layout.block` calling `iter_line_boxes` (looked up on that module),
    on `weasyprint.layout.inline.get_next_linebox(context, box, position_y, bottom_space,
    skip_stack, containing_block, absolute_boxes, fixed_boxes, first_letter_style,
    first_line_style)` making one line, on `split_first_line` (looked up on
    `weasyprint.layout.inline`) reading `style["hyphens"]` as it breaks, and on
    `context.overflows_page(bottom_space, y)`. A line is made again only when making it added
    no float, no positioned box and no first letter or first line style, so nothing it left in
    the context needs undoing; otherwise it stays as WeasyPrint made it. Another version of
    WeasyPrint gets no hook (`supported`)."""
    if not supported():
        yield
        return
    import weasyprint.layout.block as block
    import weasyprint.layout.inline as inline

    original_lines, original_split = block.iter_line_boxes, inline.split_first_line
    manual = [False]  # while True, the line being made is not hyphenated

    def split_first_line(text, style, *args, **kwargs):
        if not (manual[0] and style["hyphens"] == "auto"):
            return original_split(text, style, *args, **kwargs)
        style["hyphens"] = "manual"
        try:
            return original_split(text, style, *args, **kwargs)
        finally:
            style["hyphens"] = "auto"

    def iter_line_boxes(context, box, position_y, bottom_space, skip_stack, *rest):
        containing_block, absolute_boxes, fixed_boxes, first_letter, first_line = rest
        from weasyprint.layout.leader import handle_leader
        from weasyprint.layout.percent import resolve_one_percentage, resolve_percentages

        resolve_percentages(box, containing_block)
        if skip_stack is None:
            resolve_one_percentage(box, "text_indent", containing_block.width)
        else:
            box.text_indent = 0

        def make(y, skip, indent, letter, first, plain):
            box.text_indent = indent
            before = (len(context.excluded_shapes), len(absolute_boxes), len(fixed_boxes))
            manual[0] = plain
            try:
                line, resume = inline.get_next_linebox(
                    context,
                    box,
                    y,
                    bottom_space,
                    skip,
                    containing_block,
                    absolute_boxes,
                    fixed_boxes,
                    letter,
                    first,
                )
            finally:
                manual[0] = False
            after = (len(context.excluded_shapes), len(absolute_boxes), len(fixed_boxes))
            if line:
                handle_leader(context, line, containing_block)
            redoable = after == before and letter is None and first is None
            return line, resume, redoable

        def ends_page(line) -> bool:
            return context.overflows_page(bottom_space, line.position_y + line.height)

        y, skip, indent = position_y, skip_stack, box.text_indent
        run = 0  # lines in a row that end in a hyphen
        ahead = None  # the next line, made early to see whether this one ends the page
        while True:
            if ahead is not None:
                (line, resume, redoable), ahead = ahead, None
            else:
                line, resume, redoable = make(y, skip, indent, first_letter, first_line, run >= 2)
            if line is None:
                return
            if resume is not None and redoable and _hyphenated(line) and not ends_page(line):
                ahead = make(line.position_y + line.height, resume, 0, None, None, run >= 1)
                if ahead[0] is not None and ends_page(ahead[0]) and ahead[2]:
                    ahead = None  # this line ends the page: set it again, unhyphenated
                    line, resume, redoable = make(y, skip, indent, None, None, True)
            run = run + 1 if _hyphenated(line) else 0
            yield line, resume
            if resume is None:
                return
            y, skip, indent = line.position_y + line.height, resume, 0
            first_letter = first_line = None

    block.iter_line_boxes, inline.split_first_line = iter_line_boxes, split_first_line
    try:
        yield
    finally:
        block.iter_line_boxes, inline.split_first_line = original_lines, original_split


class _Sheet:
    """A stylesheet parsed for an earlier document, as this document's styles use it: what
    `weasyprint.css.StyleFor` reads of a `CSS` (its matcher, and the document's page rules
    and layers, which every author sheet of a document shares)."""

    def __init__(self, matcher, page_rules: list, layers: list) -> None:
        self.matcher, self.page_rules, self.layers = matcher, page_rules, layers


@dataclass
class _Parsed:
    """What parsing a stylesheet did, to do it again for another document without parsing:
    the files it fetched (checked unchanged, and fetched again for the document's record of
    what it read), the selectors, what it added to the document's page rules, layers,
    counter styles and colour profiles, and what it logged (the engine's warnings)."""

    fetched: list[tuple[str, bytes]]
    matcher: object
    page_rules: list
    layers: list
    counter_styles: dict
    color_profiles: dict
    records: list


class _Recording:
    """A URL fetcher that notes the bytes of each response of the fetcher it wraps."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.fetched: list[tuple[str, bytes]] = []
        self.failed = False  # a fetch failed or was refused

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def __call__(self, url: str):
        return self.fetch(url)

    def fetch(self, url: str, headers=None):
        from weasyprint.urls import URLFetcherResponse

        try:
            response = self.inner.fetch(url, headers)
        except BaseException:
            self.failed = True
            raise
        try:
            body = response.read()
        finally:
            response.close()
        self.fetched.append((url, body))
        return URLFetcherResponse(response.url, body, response.headers, response.status)


# Parsed stylesheets, for each FontConfiguration their @font-face rules were loaded into.
_PARSED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@contextlib.contextmanager
def parsed_once() -> Iterator[None]:
    """Each stylesheet parsed once a process, not once a document: a part of a parallel build,
    the live preview's next build, and a handout's editions link the same stylesheets, and
    parsing them cost about 0.2 s a document (a 29-page part lays out in 3 s).

    It relies on `weasyprint.css.find_stylesheets` making each linked or embedded sheet with
    `CSS(url=... | string=..., url_fetcher, media_type, font_config, counter_style,
    color_profiles, page_rules, layers)` (looked up on `weasyprint.css`), on `StyleFor`
    reading a sheet's `matcher`, `page_rules` and `layers` only, and on a `CSS` being reusable
    by documents that share its FontConfiguration (WeasyPrint's API says so). A sheet is
    taken from the store only when every file its parse fetched (the sheet, its @imports)
    comes back byte for byte the same through this document's fetcher, and the document's
    layers so far are the same; what the parse logged is logged again. A parse that failed to
    fetch something (a missing or refused @import) is not kept: each document asks again, and
    the build's gatekeeper sees each refusal. A sheet made another way (an @import's, given
    its parent's matcher) is parsed as before."""
    if not supported():
        yield
        return
    import weasyprint.css as css

    original = css.CSS
    # the arguments that are this document's objects, not what the sheet is
    kept = ("url_fetcher", "font_config", "counter_style", "color_profiles", "page_rules", "layers")

    def stylesheet(**kwargs):
        font_config = kwargs.get("font_config")
        page_rules, layers = kwargs.get("page_rules"), kwargs.get("layers")
        if (
            font_config is None
            or page_rules is None
            or layers is None
            or kwargs.get("matcher") is not None
            or kwargs.get("layer") is not None
        ):
            return original(**kwargs)
        key = (tuple(sorted((k, v) for k, v in kwargs.items() if k not in kept)), tuple(layers))
        store = _PARSED.setdefault(font_config, {})
        found = store.get(key)
        if found is not None and _unchanged(found, kwargs["url_fetcher"]):
            return _replay(found, kwargs)
        return _parse(original, kwargs, store, key)

    css.CSS = stylesheet
    try:
        yield
    finally:
        css.CSS = original


def _unchanged(parsed: _Parsed, url_fetcher) -> bool:
    """Whether every file the earlier parse fetched comes back the same (fetched again, so
    that this document's fetcher vets and records it)."""
    for url, body in parsed.fetched:
        try:
            response = url_fetcher(url)
            try:
                again = response.read()
            finally:
                response.close()
        except Exception:  # gone, or refused: parsing again says so as the engine does
            return False
        if again != body:
            return False
    return True


def _replay(parsed: _Parsed, kwargs: dict) -> _Sheet:
    """The earlier parse's effects on this document."""
    import logging

    page_rules, layers = kwargs["page_rules"], kwargs["layers"]
    page_rules.extend(parsed.page_rules)
    layers[:] = parsed.layers
    if kwargs.get("counter_style") is not None:
        kwargs["counter_style"].update(parsed.counter_styles)
    if kwargs.get("color_profiles") is not None:
        kwargs["color_profiles"].update(parsed.color_profiles)
    logger = logging.getLogger("weasyprint")
    for record in parsed.records:
        logger.handle(record)
    return _Sheet(parsed.matcher, page_rules, layers)


def _parse(original, kwargs: dict, store: dict, key) -> object:
    """Parse the sheet as WeasyPrint does, noting what the parse did (`_Parsed`)."""
    import logging

    page_rules, layers = kwargs["page_rules"], kwargs["layers"]
    counters, profiles = kwargs.get("counter_style"), kwargs.get("color_profiles")
    counters_before = dict(counters or {})
    profiles_before = dict(profiles or {})
    rules_before = len(page_rules)
    recording = _Recording(kwargs["url_fetcher"])

    class Notes(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.WARNING)
            self.records: list = []

        def emit(self, record: logging.LogRecord) -> None:
            self.records.append(record)

    notes = Notes()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(notes)
    try:
        sheet = original(**{**kwargs, "url_fetcher": recording})
    finally:
        logger.removeHandler(notes)
    if recording.failed:  # parsed again next time: its document must see the refusal too
        return sheet
    store[key] = _Parsed(
        fetched=recording.fetched,
        matcher=sheet.matcher,
        page_rules=page_rules[rules_before:],
        layers=list(layers),
        counter_styles=_changed(counters_before, counters),
        color_profiles=_changed(profiles_before, profiles),
        records=notes.records,
    )
    return sheet


def _changed(before: dict, after: dict | None) -> dict:
    return {k: v for k, v in (after or {}).items() if k not in before or before[k] is not v}


def _hyphenated(line) -> bool:
    """Whether a laid-out line ends with the hyphen the engine added to break a word."""
    from weasyprint.formatting_structure.boxes import TextBox

    last = None
    for box in line.descendants():
        if isinstance(box, TextBox):
            last = box
    if last is None:
        return False
    hyphen = last.style["hyphenate_character"]
    return bool(hyphen) and last.style["hyphens"] != "none" and last.text.endswith(hyphen)


def _numbering(style) -> bool:
    content = None if style is None else style["content"]
    if not isinstance(content, tuple):
        return False
    return any(
        kind in ("counter()", "counters()") and value[0] in PAGE_COUNTERS for kind, value in content
    )


# The margin boxes laid out together: the three of a side share its length (CSS Paged Media).
SIDES = {
    f"@{side}-{place}": tuple(f"@{side}-{other}" for other in places)
    for side, places in (
        ("top", ("left", "center", "right")),
        ("bottom", ("left", "center", "right")),
        ("left", ("top", "middle", "bottom")),
        ("right", ("top", "middle", "bottom")),
    )
    for place in places
}


class _Sides:
    """A page's `context.style_for` that gives no style (so no box) to the margin boxes of
    some sides: with `numbered`, the sides where no box shows a page number (`Part.numbers`:
    the running heads); without, the sides where one does (`Part`'s layout: the footers,
    which wait for the numbers). Making a side's boxes only to drop them was half the cost of
    the footers. A side keeps or loses its three boxes together: they share its length."""

    def __init__(self, style_for, numbered: bool) -> None:
        self.inner = style_for
        self.numbered = numbered

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def __call__(self, element, pseudo_type=None):
        if pseudo_type in SIDES or str(pseudo_type).endswith("-corner"):
            together = SIDES.get(pseudo_type, (pseudo_type,))
            shows = any(_numbering(self.inner(element, name)) for name in together)
            if shows != self.numbered:
                return None
        return self.inner(element, pseudo_type)


@contextlib.contextmanager
def _only_sides(context, numbered: bool) -> Iterator[None]:
    """While in the block, `context` makes margin boxes only on the sides that
    `_Sides(numbered)` keeps."""
    style_for = context.style_for
    context.style_for = _Sides(style_for, numbered)
    try:
        yield
    finally:
        context.style_for = style_for


STOP_META = re.compile(r'<meta name="build-report-stop" content="([\d ]*)">')


def stop_meta(blocks: list[int]) -> str:
    """The tag that tells a part's layout where it may stop (`Pagination`)."""
    return f'<meta name="build-report-stop" content="{" ".join(map(str, blocks))}">'


class Pagination:
    """Watches a part's pagination: which pages start cleanly at a block of the chapter's body
    (`clean`: page index -> (the block's index among the body's elements, its tag)), and,
    given `stops` (such indices), ends the document before the first page that would start
    cleanly at one of them (`stopped`), as if the text ended there.

    A clean start is a page that the text before it alone decides: it begins afresh with an
    element of `.chapter-body` (not inside one), after a natural break (no blank page, no
    named page), with no footnote or float carried over to it, and with no top margin on the
    first block in the flow (a natural break drops it, a document's first page keeps it).
    The layout of the text from there on, alone, is then the layout of those pages in the
    whole (pdf/live.py lays out again only from the page an edit touched, up to a page that
    starts where it did before)."""

    def __init__(self, stops: frozenset[int] = frozenset()) -> None:
        self.stops = stops
        self.clean: dict[int, tuple[int, str]] = {}
        self.stopped: int | None = None

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        import weasyprint.layout.page as paging

        original = paging.remake_page

        def remake(index, context, root_box, html):
            page, resume_at = original(index, context, root_box, html)
            found = _clean_start(context, root_box, resume_at, index)
            self.clean.pop(index + 1, None)
            if found is None:
                return page, resume_at
            if found[0] in self.stops:
                self.stopped = found[0]
                _end_after(context, index)
                return page, None
            self.clean[index + 1] = found
            return page, resume_at

        paging.remake_page = remake
        try:
            yield
        finally:
            paging.remake_page = original


def _clean_start(context, root_box, resume_at, index: int) -> tuple[int, str] | None:
    """(index among `.chapter-body`'s elements, tag) of the element the page after page
    `index` starts cleanly with, or None."""
    if resume_at is None or context.reported_footnotes or context.broken_out_of_flow:
        return None
    following = context.page_maker[index + 1] if index + 1 < len(context.page_maker) else None
    if following is None or following[0] != resume_at:
        return None
    if following[1].get("break") != "any" or following[1].get("page"):
        return None
    parent, box, stack = None, root_box, resume_at
    while stack is not None:
        if len(stack) != 1:
            return None
        ((child, stack),) = stack.items()
        children = getattr(box, "children", None)
        if children is None or not 0 <= child < len(children):
            return None
        parent, box = box, children[child]
    element, body = getattr(box, "element", None), getattr(parent, "element", None)
    if element is None or body is None or getattr(box, "element_tag", None) != element.tag:
        return None  # an anonymous box, or a pseudo-element's
    from weasyprint.formatting_structure.boxes import BlockLevelBox

    if getattr(parent, "element_tag", None) != body.tag or not isinstance(box, BlockLevelBox):
        return None  # inside a line, or an anonymous block
    if "chapter-body" not in (body.get("class") or "").split():
        return None
    siblings = list(body)
    if element not in siblings:
        return None
    place = siblings.index(element)
    if box.is_floated():  # the flow starts with the element after it
        following = siblings[place + 1 : place + 2]
        if not following or not _flush(context.style_for(following[0])):
            return None
    elif not _flush_down(box):
        return None
    return place, str(element.tag)


def _flush(style) -> bool:
    """No top margin (a natural break drops it; a document's first page keeps it)."""
    return style is not None and getattr(style["margin_top"], "value", 1) == 0


def _flush_down(box) -> bool:
    """`_flush` for the box and every first child whose top margin would join its own."""
    while True:
        if not _flush(box.style):
            return False
        style = box.style
        if getattr(style["padding_top"], "value", 1) != 0 or style["border_top_width"] != 0:
            return True  # a margin below stays below
        from weasyprint.formatting_structure.boxes import BlockLevelBox

        children = [c for c in getattr(box, "children", ()) if c.is_in_normal_flow()]
        if not children or not isinstance(children[0], BlockLevelBox):
            return True
        box = children[0]


def _end_after(context, index: int) -> None:
    """Pagination ends with page `index`: the page after it starts at nothing."""
    _, next_page, right_page, page_state, remake_state = context.page_maker[index + 1]
    remake_state = dict(remake_state, content_changed=False, pages_wanted=False)
    context.page_maker[index + 1] = (None, next_page, right_page, page_state, remake_state)


class Part:
    """One part of a book, laid out (`pages` and `anchors` known at once), then written by
    `write` (painting is about half of the work: a parallel build numbers the book and lays
    out its contents meanwhile), except for the margin boxes of the sides that show a page
    number, which wait for `numbers`."""

    def __init__(self, layout: Layout, options: PdfOptions, paint: bool = True) -> None:
        import weasyprint.layout

        self.layout, self.options = layout, options
        self.held: list[tuple] = []  # (context, page box, page state) for each page
        original = weasyprint.layout.make_margin_boxes

        def unnumbered(context, page, state):
            self.held.append((context, page, state))
            with _only_sides(context, numbered=False):
                return list(original(context, page, state))

        found = STOP_META.search(layout.html[:4096])
        self.pagination = Pagination(
            frozenset(map(int, found.group(1).split())) if found else frozenset()
        )
        with engine(layout, options) as (resources, logs):
            html = html_document(layout, resources)
            weasyprint.layout.make_margin_boxes = unnumbered
            try:
                with self.pagination.watching():
                    self.document = render(html)  # as in one process (adapter.lay_out)
            finally:
                weasyprint.layout.make_margin_boxes = original
        self.laid_out = (resources, logs)
        self.pages = len(self.document.pages)
        self.rendered: Rendered | None = None
        if paint:
            self.write()

    def write(self) -> Rendered:
        """The part's PDF (without page numbers), and what laying it out and writing it said."""
        with engine(self.layout, self.options) as (resources, logs):
            data = roomy(self.document.write_pdf)
        laid_resources, laid_logs = self.laid_out
        diagnostics = checked(self.layout, self.options, laid_resources, laid_logs)
        diagnostics += checked(self.layout, self.options, resources, logs)
        served = tuple(dict.fromkeys([*laid_resources.served, *resources.served]))
        from build_report.pdf.adapter import _page_starts

        # for the ebook (pages/record.py), when the build keeps it
        starts = _page_starts(self.layout, self.document, self.options)
        found = sorted(self.pagination.clean.items())  # (a page made in an earlier pass: gone)
        clean = tuple((k, page, tag) for page, (k, tag) in found if page < self.pages)
        levels = tuple(mark[0] for page in self.document.pages for mark in page.bookmarks)
        self.rendered = Rendered(data, self.pages, diagnostics, served, starts, clean, levels)
        return self.rendered

    def anchors(self) -> dict[str, int]:
        """Each anchor's page (its first, for an element that runs over several)."""
        found: dict[str, int] = {}
        for index, page in enumerate(self.document.pages):
            for name in page.anchors:
                found.setdefault(name, index)
        return found

    def numbers(self, first: int, total: int) -> bytes:
        """An overlay of the part's margin boxes on the sides that show page numbers, one page
        for each of its pages, numbered from `first` of `total`."""
        from weasyprint.document import Document, Page
        from weasyprint.layout.background import layout_box_backgrounds
        from weasyprint.layout.page import make_margin_boxes

        overlays = []
        with engine(self.layout, self.options):
            for index, (context, page, state) in enumerate(self.held):
                counters = state[1]
                counters["page"], counters["pages"] = [first + index], [total]
                context.current_page = index + 1
                overlay = copy.copy(page)
                with _only_sides(context, numbered=True):
                    overlay.children = tuple(make_margin_boxes(context, page, state))
                for box in overlay.children:
                    layout_box_backgrounds(overlay, box, context.get_image_from_uri)
                overlay.background = overlay.canvas_background = None
                overlays.append(Page(overlay))
            doc = self.document
            numbered = Document(
                overlays,
                doc.metadata,
                doc.url_fetcher,
                doc.font_config,
                doc.color_profiles,
                doc.output_intent,
            )
            return roomy(numbered.write_pdf)


# Pseudo-elements whose text the ebook does not have: list markers, footnote calls and
# numbers, generated page references ("p. 5"). A `::first-letter` is the block's own text.
GENERATED = ("::before", "::after", "::marker", "::footnote-call", "::footnote-marker")


def letters(text: str) -> int:
    """What the page records count in: letters and digits only, so that white space (which
    layout collapses), inserted hyphens and soft hyphens count the same in every render."""
    return sum(1 for ch in text if ch.isalnum())


def page_starts(document, attribute: str = "data-pb") -> list[dict]:
    """Where each page of a laid-out `document` starts, in terms both renders share (the
    blocks numbered by markup/blocks.py, in `attribute`): for each page, `block` (the
    innermost numbered block holding the page's first text or image, or None) and `offset`
    (the letters of that block on earlier pages), `text` (the page's first letters, to
    check the place by), `next` (the first numbered block that begins on the page),
    `section` (the id of the chapter `<section>` around the first content) and `chapters`
    (the chapters, by number, with blocks on the page).

    Walks each page's box tree (`page._page_box`: the root box, then the footnote area,
    whose text the reader finds elsewhere in the ebook) in document order."""
    walker = _PageWalker(attribute)
    return [walker.page(page._page_box.children[0]) for page in document.pages]


class _PageWalker:
    """page_starts' walk, page after page: what it has seen so far carries over."""

    def __init__(self, attribute: str) -> None:
        from weasyprint.formatting_structure import boxes

        self.boxes = boxes
        self.attribute = attribute
        self.seen: dict[str, int] = {}  # letters of each block laid out so far
        self.begun: set[str] = set()
        self.headers: set[int] = set()  # table headers and footers, repeated on each page

    def page(self, root) -> dict:
        self.record: dict = {"block": None, "offset": 0, "text": "", "next": None}
        self.record["section"] = None
        self.chapters: set[int] = set()
        self.walk(root, [], None)
        self.record["chapters"] = sorted(self.chapters)
        return self.record

    def walk(self, box, stack: list[str], section: str | None) -> None:
        element = getattr(box, "element", None)
        tag = getattr(box, "element_tag", "") or ""
        if tag.endswith(GENERATED):
            return
        if getattr(box, "is_header", False) or getattr(box, "is_footer", False):
            if id(element) in self.headers:
                return  # a header row repeated: the page does not start there
            self.headers.add(id(element))
        if element is not None:
            name = element.get(self.attribute)
            if name and (not stack or stack[-1] != name):
                stack = [*stack, name]
                self.chapters.add(int(name.split(".")[0]))
                if name not in self.begun:
                    self.begun.add(name)
                    if self.record["next"] is None:
                        self.record["next"] = name
            if tag == "section" and "chapter" in (element.get("class") or "").split():
                section = element.get("id") or section
        unplaced = self.record["text"] == "" and self.record["block"] is None
        if isinstance(box, self.boxes.TextBox):
            count = letters(box.text)
            if count and unplaced:
                self.first(stack, section, box.text)
            for name in set(stack):
                self.seen[name] = self.seen.get(name, 0) + count
            return
        if isinstance(box, self.boxes.ReplacedBox):
            if unplaced and stack:
                self.first(stack, section, "")
            return
        for child in getattr(box, "children", ()):
            self.walk(child, stack, section)

    def first(self, stack: list[str], section: str | None, text: str) -> None:
        """The page's first content: its block (if numbered), how far into it, its letters."""
        record = self.record
        record["block"] = stack[-1] if stack else None
        record["offset"] = self.seen.get(stack[-1], 0) if stack else 0
        record["text"] = "".join(ch for ch in text if ch.isalnum())[:24]
        record["section"] = section


@contextlib.contextmanager
def glyph_runs() -> Iterator[None]:
    """Each line's glyphs read at once, not glyph by glyph. WeasyPrint draws a line by
    reading every glyph's fields through cffi and building its text operator in Python:
    about 60% of writing a PDF (3.7 s of the x50 book's 6.2). The line is drawn here from
    the glyph array read in one go, with the same operators, byte for byte, as the engine's
    own function, which still draws every line that needs more than plain glyphs: an
    ellipsis, a glyph no font has, one raised or lowered (marks placed by the font), colour
    or bitmap emoji (tests/pdf/test_internals.py compares the two)."""
    if not supported():
        yield
        return
    import weasyprint.draw.text as text

    original = text.draw_first_line
    text.draw_first_line = _fast_lines(original)
    try:
        yield
    finally:
        text.draw_first_line = original


def _fast_lines(original):
    """`draw_first_line` for lines of plain glyphs (`glyph_runs`), else `original`."""
    import struct

    from weasyprint.text.ffi import FROM_UNITS, ffi, pango

    unpack = struct.Struct("=Iiii4x").iter_unpack  # PangoGlyphInfo, 20 bytes
    empty, unknown = pango.PANGO_GLYPH_EMPTY, pango.PANGO_GLYPH_UNKNOWN_FLAG
    scale = 1000 * FROM_UNITS

    def draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix):
        if text_overflow == "ellipsis" or block_ellipsis != "none":
            return original(stream, textbox, text_overflow, block_ellipsis, matrix)
        if not textbox.text.strip() or textbox.style["font_size"] < 1e-6:
            return []
        try:
            operators = _operators(stream, textbox)
        except Exception:  # the engine's own drawing says what is wrong, as it would
            operators = None
        if operators is None:
            return original(stream, textbox, text_overflow, block_ellipsis, matrix)
        stream.set_text_matrix(*matrix.values)
        for operator, *values in operators:
            getattr(stream, operator)(*values)
        return []

    def _operators(stream, textbox) -> list[tuple] | None:
        """The line's text operators, or None where it needs more than plain glyphs."""
        layout = textbox.pango_layout
        pango.pango_layout_set_single_paragraph_mode(layout.layout, True)
        first_line, _ = layout.get_first_line()
        runs, previous, font, font_size = [], None, None, 0.0
        run = first_line.runs[0]
        while run != ffi.NULL:
            item, run = run.data, run.next
            glyphs = item.glyphs
            found = list(unpack(ffi.buffer(glyphs.glyphs, glyphs.num_glyphs * 20)))
            if any(g & unknown or y for g, _, _, y in found if g != empty):
                return None
            pango_font = item.item.analysis.font
            new = pango_font != previous
            if new:
                previous = pango_font
                font, font_size = stream.add_font(pango_font)
                if pango.pango_version() < 14802 or font.png:
                    font_size = textbox.style["font_size"]
                if font.svg or font.png or font.colr:
                    return None
            runs.append((item, glyphs, found, pango_font, font, font_size, new))

        operators: list[tuple] = []
        string = ""
        for item, glyphs, found, pango_font, font, font_size, new in runs:
            if new:
                if string:
                    operators.append(("show_text", string))
                string = ""
                operators.append(("set_font_size", font.hash, 1 if font.bitmap else font_size))
            parts = [string, "<"]
            add = parts.append
            widths, to_unicode = font.widths, font.to_unicode
            hexa = "{:02x}" if font.bitmap else "{:04x}"
            clusters = utf8 = None
            last = len(found) - 1
            for i, (glyph, width, x_offset, _) in enumerate(found):
                if glyph == empty:
                    add(f">{-width / font_size}<")
                    continue
                if glyph not in to_unicode:
                    if clusters is None:
                        clusters = ffi.unpack(glyphs.log_clusters, len(found))
                        utf8 = layout.text.encode()
                    start = item.item.offset
                    t1 = clusters[i]
                    if item.item.analysis.level % 2:  # rtl
                        t2 = item.item.length if i == 0 else clusters[i - 1]
                    else:
                        t2 = item.item.length if i == last else clusters[i + 1]
                    to_unicode[glyph] = utf8[start + t1 : start + t2].decode()
                offset = x_offset / font_size
                if offset:
                    add(f">{-offset}<")
                add(hexa.format(glyph))
                logical_width = widths.get(glyph)
                if logical_width is None:
                    pango.pango_font_get_glyph_extents(
                        pango_font, glyph, stream.ink_rect, stream.logical_rect
                    )
                    logical_width = widths[glyph] = round(
                        stream.logical_rect.width * scale / font_size
                    )
                kerning = logical_width + offset - width * scale / font_size
                if kerning:
                    add(f">{int(kerning)}<")
            string = "".join(parts)
            string = string[:-1] if string[-1] == "<" else string + ">"
        operators.append(("show_text", string))
        return operators

    return draw_first_line


@contextlib.contextmanager
def typed_arrays() -> Iterator[None]:
    """The font subsetter's arrays made without parsing C. WeasyPrint asks cffi for a
    `hb_codepoint_t[N]` of each font's glyph count, a type string cffi has not seen (its cache
    is by string), so each is parsed by pycparser: about 15 ms each, 8 for every document,
    which a parallel build writes several of (parts, footers, the contents). The same array
    made from the type `hb_codepoint_t[]`, parsed once, and its items is the same array."""
    if not supported():
        yield
        return
    import weasyprint.pdf.fonts as fonts

    original = fonts.ffi
    fonts.ffi = _Arrays(original)
    try:
        yield
    finally:
        fonts.ffi = original


_SIZED = re.compile(r"(hb_codepoint_t)\[(\d+)\]")


class _Arrays:
    """WeasyPrint's `ffi`, with `new` of a sized array by its unsized type (`typed_arrays`)."""

    def __init__(self, ffi) -> None:
        self._ffi = ffi

    def new(self, cdecl, init=None):
        found = _SIZED.fullmatch(cdecl) if isinstance(cdecl, str) else None
        if found and init is not None and len(init) == int(found[2]):
            return self._ffi.new(f"{found[1]}[]", init)
        return self._ffi.new(cdecl, init)

    def __getattr__(self, name: str):
        return getattr(self._ffi, name)


def font_files(font_config) -> tuple[str, ...] | None:
    """The names of the face files in a FontConfiguration's folder (None: no folder yet)."""
    import os

    folder = getattr(font_config, "_folder", None)
    try:
        return None if folder is None else tuple(os.listdir(folder))
    except OSError:
        return None


def own_font_folder(font_config, names: tuple[str, ...]) -> Path | None:
    """Give a forked process's FontConfiguration a folder of its own (returned), with a mark
    for each face it inherited (`names`, listed in the parent at the fork: `font_files`).
    WeasyPrint takes a face's file in its folder as proof that the face is registered, and
    processes forked from one configuration would share its folder: a face one of them wrote
    (the PDF's emoji, say) would be skipped, never registered, by a sibling that needs it too
    (a handout of `build-report all` then showed empty boxes). The inherited faces were
    registered before the fork, at the parent's files, which stay until the build's scratch
    folder goes: an empty file of the same name is all the check needs. Where no folder can
    be made, the process starts without one: a face it needs is then loaded again."""
    import tempfile

    folder = getattr(font_config, "_folder", None)
    if folder is None:  # no face written yet: the first one makes a folder of this process's
        return None
    try:
        mine = Path(tempfile.mkdtemp(prefix="weasyprint-", dir=Path(folder).parent))
        for name in names:
            (mine / name).touch()
    except OSError:
        font_config._folder = None
        return None
    font_config._folder = mine
    return mine
