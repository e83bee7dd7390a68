"""Chapters come from other people: keep the document's structure, drop scripts and the rest."""

from __future__ import annotations

import re
from collections.abc import Callable

MAX_DEPTH = 100  # nesting of HTML elements in a chapter; deeper trees exhaust the layout engine
# The most columns or rows a table cell (or <col>) may span. HTML allows colspan up to 1000
# and rowspan up to 65534; the layout engine allocates every spanned slot, so a
# colspan="100000000" took gigabytes. No real table needs more than this.
MAX_SPAN = 1000
SPANS = {"colspan": 1, "span": 1, "rowspan": 0}  # attribute -> its smallest meaningful value
LEADING_INTEGER = re.compile(r"\s*\+?(\d+)")

ALLOWED_TAGS = {
    *[
        "a",
        "abbr",
        "aside",
        "b",
        "blockquote",
        "br",
        "caption",
        "cite",
        "code",
        "col",
        "colgroup",
        "dd",
        "del",
        "details",
        "dfn",
        "div",
        "dl",
        "dt",
        "em",
    ],
    *[
        "figcaption",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "kbd",
        "li",
        "mark",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "samp",
    ],
    *[
        "section",
        "small",
        "span",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
        "var",
    ],
}
ALLOWED_ATTRIBUTES = {
    # `dir` and `style` (text-align only) set direction and alignment; `align` and the CSS
    # `direction` of other tools' raw HTML become those first (_modern_direction_and_alignment).
    "*": {"id", "class", "lang", "title", "dir", "role", "style"},
    "a": {"href"},
    "details": {"open"},
    "span": {"aria-label"},
    "aside": {"aria-hidden"},  # a pull quote that repeats the text (markup/pullquotes.py)
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "style", "scope"},
    "ol": {"start", "reversed", "type"},
    "col": {"span"},
    "colgroup": {"span"},
}
# Attributes whose value is one of a few words; any other value is dropped.
KEYWORDS = {
    "dir": {"ltr", "rtl", "auto"},
    "align": {"left", "right", "center", "justify"},
}
# (tag, attribute, value) -> the value to keep, or None to drop the attribute
UrlFilter = Callable[[str, str, str], str | None]


def balance(html: str) -> str:
    """Close what raw HTML left open at the end of its parent, as lxml (libxml2) does.

    An HTML5 parser would carry an unclosed `<b>` on into every later paragraph; closing it
    where its parent ends keeps the damage local, and the same in print and in the EPUB.
    """
    from lxml import etree
    from lxml import html as lxml_html

    if not html.strip():
        return html
    holder = lxml_html.fragment_fromstring(html, create_parent="div")
    # The depth of the tree as parsed is the only test. libxml2 stops at its own limit
    # (about 255 levels) and drops the rest, but what it keeps is then deeper than
    # MAX_DEPTH, so that case is caught here too. Text that a malformed tag swallows
    # (`<div id="foo"` and, on the next line, `*hi*` becomes an attribute, as in a browser)
    # is not a sign of depth: it is what the author's HTML means.
    if _depth(holder) > MAX_DEPTH:
        raise ValueError(f"raw HTML is nested more than {MAX_DEPTH} levels deep")
    for element in holder.iter():
        if isinstance(element.tag, str):
            _modern_direction_and_alignment(element)
    inner = etree.tostring(holder, method="html", encoding="unicode")
    return inner[len("<div>") : -len("</div>")]


def _modern_direction_and_alignment(element) -> None:
    """`style="direction: rtl"` -> `dir="rtl"`, `align="right"` -> `style="text-align: right"`:
    what GitHub-era HTML writes, in the form every output accepts (EPUB forbids both `align`
    and the CSS `direction` property, and `dir` also tells the bidi algorithm)."""
    style = element.get("style") or ""
    declarations = [d.strip() for d in style.split(";") if d.strip()]
    kept = []
    for declaration in declarations:
        name, _, value = declaration.partition(":")
        if name.strip().lower() == "direction" and value.strip().lower() in ("rtl", "ltr"):
            element.set("dir", value.strip().lower())
        else:
            kept.append(declaration)
    align = (element.attrib.pop("align", "") or "").strip().lower()
    if align in KEYWORDS["align"] and not any(d.lower().startswith("text-align") for d in kept):
        kept.append(f"text-align: {align}")
    if kept:
        element.set("style", "; ".join(kept))
    elif "style" in element.attrib:
        del element.attrib["style"]


def _depth(root) -> int:
    """How many elements deep the tree goes below `root` (iteratively: no recursion limit)."""
    deepest, stack = 0, [(root, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node)
    return deepest


def capped_span(attribute: str, value: str) -> str | None:
    """A `colspan`, `rowspan` or `span` as the number the engine will read, at most MAX_SPAN
    (None drops what is not a number, which the engine would ignore anyway)."""
    found = LEADING_INTEGER.match(value)
    if found is None:
        return None
    digits = found.group(1).lstrip("0") or "0"
    number = MAX_SPAN if len(digits) > len(str(MAX_SPAN)) else int(digits)  # no 5000-digit int()
    return str(min(max(number, SPANS[attribute]), MAX_SPAN))


def sanitize(html: str, raw: bool = True, urls: UrlFilter | None = None) -> str:
    """The allowed tags and attributes only; `urls` decides every other `href` and `src`
    (the chapter's resolver: one pass for Markdown links and raw HTML alike).

    `raw` says whether the Markdown held raw HTML; without it, our own renderer's output is
    already balanced and the lxml pass is skipped.
    """
    import nh3

    def only_urls(tag: str, attribute: str, value: str) -> str | None:
        if urls is not None and (tag, attribute) in (("a", "href"), ("img", "src")):
            return urls(tag, attribute, value)
        if attribute in SPANS:
            return capped_span(attribute, value)
        if attribute in KEYWORDS:
            return value if value.strip().lower() in KEYWORDS[attribute] else None
        return value

    return nh3.clean(
        balance(html) if raw else html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
        filter_style_properties={"text-align"},
        strip_comments=True,
        attribute_filter=only_urls,
    )
