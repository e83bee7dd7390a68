"""Numbered figures, tables and sections, and the cross-references that name them (`@fig-map`
reads "Figure 1", in print "Figure 1 (p. 5)"), as Quarto and pandoc-crossref write them.

Everything a kind of target needs is one row of PREFIXES: the word it is called by, the
words of its list, and how it is numbered. Targets are found in the chapters' tokens
(`scan`), numbered once for the whole book (`book_targets`), and the references are then
rewritten, target by target, in each output (`apply`); `check` and the builds ask the same
table, so they cannot disagree about an id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

from build_report.errors import Diagnostic
from build_report.markup.divs import attributes
from build_report.project.languages import spoken
from build_report.project.model import Book, Chapter

# Each generated word's key in the language catalogues (project/labels/*.toml).
WORDS = {
    "figure": "figure",
    "table": "table",
    "section": "section",
    "page": "page_abbreviation",
    "caption-separator": "caption_separator",
    "list-of-figures": "list_of_figures",
    "list-of-tables": "list_of_tables",
    "unknown": "unknown_reference",
    "quoted": "quoted",
}


def word(name: str) -> str:
    """The one lookup of a generated word, in the language being rendered."""
    return spoken()(WORDS[name])


@dataclass(frozen=True)
class Kind:
    """A kind of numbered target: the word for one, and whether it is numbered through the
    book (or per chapter, with the switch) or within its chapter's sections."""

    word: str  # key of WORDS
    listed: str = ""  # key of WORDS for the title of its list; "" when it has none
    by_section: bool = False  # 2.1, 2.1.3: numbered by the chapter's headings


# The table of reference prefixes. An `eq` row (and its finder in `scan`) adds equations.
PREFIXES: dict[str, Kind] = {
    "fig": Kind("figure", "list-of-figures"),
    "tbl": Kind("table", "list-of-tables"),
    "sec": Kind("section", by_section=True),
}
NUMBERED_LEVELS = ("h2", "h3")  # sections numbered 2.1 and 2.1.1; deeper ones are not
CAPTION = re.compile(r"^(?:Table)?:\s+(?P<text>.*?)(?:\s*\{(?P<attrs>[^{}]*)\})?\s*$", re.S)


def prefix_of(key: str) -> str | None:
    """`fig-map` -> "fig" when that is a cross-reference prefix; None for a citation key."""
    head, sep, _ = key.partition("-")
    return head if sep and head in PREFIXES else None


@dataclass(frozen=True)
class Target:
    """A numbered thing a reference can name."""

    name: str  # as references write it: fig-map
    ident: str  # its id in the documents
    prefix: str
    chapter: str  # the slug of its chapter
    caption: str  # its words (caption, heading), for the lists and unnumbered targets
    line: int | None = None
    number: str = ""  # "3", "2.1"; "" when unnumbered
    shown: bool = True  # in this document (a handout of some chapters numbers the rest too)

    def label(self, suppress: bool = False) -> str:
        """ "Figure 3"; the number alone for `[-@fig-x]`; a heading without a number by its
        title."""
        if not self.number:
            return spoken()(WORDS["quoted"], title=self.caption)
        if suppress:
            return self.number
        return f"{word(PREFIXES[self.prefix].word)} {self.number}"


@dataclass(frozen=True)
class Found:
    """What `scan` sees: a target at token `index`, with `level` for headings."""

    prefix: str
    name: str
    ident: str
    caption: str
    index: int
    line: int | None
    level: int = 0
    numbered: bool = True


def scan(chapter: Chapter, tokens: list[Token] | None = None) -> Iterator[Found]:
    """The chapter's targets in reading order: headings (all numbered sections, referable as
    `@sec-...` by their id), figures (`![Caption](x.png){#fig-x}` alone in a paragraph) and
    captioned tables (`Table: Caption {#tbl-x}` just before or after a table)."""
    tokens = list(chapter.tokens) if tokens is None else tokens
    prefix = f"{chapter.slug}--"
    for i, token in enumerate(tokens):
        line = chapter.body_line + token.map[0] if token.map else None
        if token.type == "heading_open" and token.tag in NUMBERED_LEVELS:
            classes = str(token.attrGet("class") or "").split()
            ident = str(token.attrGet("id") or "")
            caption = _words(tokens[i + 1])
            numbered = bool(caption) and "unnumbered" not in classes and "-" not in classes
            level = NUMBERED_LEVELS.index(token.tag) + 1
            yield Found("sec", ident.removeprefix(prefix), ident, caption, i, line, level, numbered)
        elif (image := figure_image(tokens, i)) is not None:
            ident = str(image.attrGet("id"))
            yield Found("fig", ident, ident, _words(image), i, line)
        elif token.type == "table_open" and (caption := table_caption(tokens, i)) is not None:
            ident, text, _ = caption
            if ident:
                yield Found("tbl", ident, ident, text, i, line)


def _words(token: Token) -> str:
    return " ".join(
        "".join(
            c.content for c in token.children or [] if c.type in ("text", "code_inline")
        ).split()
    )


def figure_image(tokens: list[Token], i: int) -> Token | None:
    """The image of a numbered figure: a paragraph holding only `![...](...){#fig-...}`."""
    if tokens[i].type != "paragraph_open" or i + 1 >= len(tokens):
        return None
    children = [
        c
        for c in tokens[i + 1].children or []
        if not (c.type in ("text", "softbreak") and not c.content.strip())
    ]
    if len(children) != 1 or children[0].type != "image":
        return None
    ident = str(children[0].attrGet("id") or "")
    return children[0] if prefix_of(ident) == "fig" else None


def table_caption(tokens: list[Token], i: int) -> tuple[str, str, tuple[int, int]] | None:
    """A table's pandoc caption: (id, words, (first, end) of the tokens that wrote it), from
    a `Table: ...` paragraph right before or after the table, or a last row whose first
    cell is `Table: ...` (written with no blank line after the table, it became a row)."""
    close = next(j for j in range(i, len(tokens)) if tokens[j].type == "table_close")
    spots = [(close + 1, close + 4), (i - 3, i)]
    for first, end in spots:
        if first < 0 or end > len(tokens) or tokens[first].type != "paragraph_open":
            continue
        found = CAPTION.match(tokens[first + 1].content)
        if found:
            return _caption(found, (first, end))
    row = max((j for j in range(i, close) if tokens[j].type == "tr_open"), default=-1)
    cells = [t for t in tokens[row:close] if t.type == "inline"] if row > i else []
    if cells and not any(c.content.strip() for c in cells[1:]):
        found = CAPTION.match(cells[0].content)
        if found and tokens[row - 1].type != "thead_open":
            end = next(j for j in range(row, close) if tokens[j].type == "tr_close") + 1
            return _caption(found, (row, end))
    return None


def _caption(found: re.Match, span: tuple[int, int]) -> tuple[str, str, tuple[int, int]]:
    """(id, the caption's words without Markdown, span)."""
    ident = next((v for k, v in attributes(found.group("attrs") or "") if k == "id"), "")
    return ident, " ".join(re.sub(r"[*_`]", "", found.group("text")).split()), span


@dataclass(frozen=True)
class Targets:
    """Every target of the book by name (a name may repeat in different chapters), and the
    problems found while numbering them."""

    by_name: dict[str, tuple[Target, ...]]
    ordered: tuple[Target, ...]
    problems: tuple[Diagnostic, ...] = ()

    def find(self, name: str, chapter: str) -> Target | None:
        """The target a chapter means: its own, else the one in the book."""
        found = self.by_name.get(name, ())
        here = [t for t in found if t.chapter == chapter]
        if here:
            return here[0]
        return found[0] if len(found) == 1 else None

    def of_kind(self, prefix: str) -> list[Target]:
        return [t for t in self.ordered if t.prefix == prefix and t.number and t.shown]


def book_targets(book: Book) -> Targets:
    """Number every target of the book, in reading order."""
    per_chapter = book.config.numbering.per_chapter
    show_sections = book.config.numbering.sections  # else `@sec-x` reads the heading's title
    counts: dict[str, int] = {}
    ordered: list[Target] = []
    problems: list[Diagnostic] = []
    shown = {chapter.slug for chapter in book.chapters}
    for chapter in book.all_chapters:
        sections = [0] * len(NUMBERED_LEVELS)
        if per_chapter:
            counts = {}
        seen: set[str] = set()
        for found in scan(chapter):
            number = ""
            if PREFIXES[found.prefix].by_section:
                if found.numbered and show_sections:
                    sections[found.level - 1] += 1
                    sections[found.level :] = [0] * (len(sections) - found.level)
                    number = ".".join(str(n) for n in [chapter.number, *sections[: found.level]])
            else:
                counts[found.prefix] = counts.get(found.prefix, 0) + 1
                n = counts[found.prefix]
                number = f"{chapter.number}.{n}" if per_chapter else str(n)
            if found.name in seen and found.prefix != "sec":
                problems.append(
                    Diagnostic(
                        chapter.source,
                        found.line,
                        None,
                        "error",
                        f"the id '{found.name}' is given twice in this chapter",
                        kind="cross-reference ids given twice",
                    )
                )
            seen.add(found.name)
            target = Target(
                found.name, found.ident, found.prefix, chapter.slug, found.caption, found.line
            )
            ordered.append(replace(target, number=number, shown=chapter.slug in shown))
    by_name: dict[str, list[Target]] = {}
    for target in ordered:
        by_name.setdefault(target.name, []).append(target)
    return Targets({k: tuple(v) for k, v in by_name.items()}, tuple(ordered), tuple(problems))


def references(chapter: Chapter) -> Iterator[tuple[str, bool, int | None]]:
    """Every cross-reference of the chapter: (name, suppress the word, line)."""
    for token in chapter.tokens:
        line = chapter.body_line + token.map[0] if token.map else None
        for child in token.children or []:
            if child.type == "citation":
                for item in child.meta["items"]:
                    if prefix_of(item.key):
                        yield item.key, item.suppress_author, line


def findings(book: Book, targets: Targets) -> list[Diagnostic]:
    """An unknown cross-reference is an error at its line (the build would print "??"); an
    ambiguous one (the id is in several other chapters) too."""
    found = list(targets.problems)
    for chapter in book.chapters:
        for name, _, line in references(chapter):
            if targets.find(name, chapter.slug) is not None:
                continue
            several = len(targets.by_name.get(name, ())) > 1
            message = (
                f"@{name} is in several chapters; give the targets different ids"
                if several
                else f"@{name}: no {word(PREFIXES[prefix_of(name) or 'fig'].word).lower()} "
                f"with the id {name} in the book"
            )
            found.append(
                Diagnostic(
                    chapter.source,
                    line,
                    None,
                    "error",
                    message,
                    kind="cross-references to ids that do not exist",
                )
            )
    return found


def extra_ids(chapter: Chapter) -> Iterator[str]:
    """Ids that exist only once the tokens are rewritten: captioned tables' (`{#tbl-x}`)."""
    for found in scan(chapter):
        if found.prefix == "tbl":
            yield found.ident


# --- rewriting the tokens for one output ---------------------------------------------------


def apply(tokens: list[Token], chapter: Chapter, targets: Targets, *, paged: bool) -> list[Token]:
    """The chapter's tokens with figures, table captions, section numbers and references
    written out. `paged`: print, where a reference also carries its page. Tokens are shared
    between outputs, so changed ones are copies."""
    mine = {t.ident: t for t in targets.ordered if t.chapter == chapter.slug}
    slots: dict[int, list[Token]] = {}  # token index -> what stands in its place
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            target = mine.get(str(token.attrGet("id") or ""))
            if target and target.number:
                inline = tokens[i + 1]
                number = Token("html_inline", "", 0)
                number.content = f'<span class="section-number">{target.number}</span> '
                slots[i + 1] = [inline.copy(children=[number, *(inline.children or [])])]
        elif (image := figure_image(tokens, i)) is not None:
            target = mine.get(str(image.attrGet("id")))
            slots[i], slots[i + 1], slots[i + 2] = _figure(tokens[i + 1], image, target), [], []
        elif token.type == "table_open" and (caption := table_caption(tokens, i)) is not None:
            ident, _, (first, end) = caption
            for j in range(first, end):
                slots[j] = []
            target = mine.get(ident)
            attrs = {**token.attrs, "id": ident} if ident else dict(token.attrs)
            inline = next(t for t in tokens[first:end] if t.type == "inline")
            opening = token.copy(attrs=attrs)
            slots[i] = [opening, *_caption_tokens(inline, target)]
    flat: list[Token] = []
    for i, token in enumerate(tokens):
        flat.extend(slots.get(i, [token]))
    return [_with_references(t, chapter, targets, paged) for t in flat]


def _figure(inline: Token, image: Token, target: Target | None) -> list[Token]:
    """`<figure id><img><figcaption>Figure 1: Caption</figcaption></figure>`."""
    ident = str(image.attrGet("id"))
    attrs = {k: v for k, v in image.attrs.items() if k != "id"}
    opening = Token("figure_open", "figure", 1, attrs={"id": ident, "class": "figure"})
    picture = image.copy(attrs=attrs)
    caption_open = Token("html_inline", "", 0)
    label = escapeHtml(target.label()) if target and target.number else ""
    lead = f'<span class="figure-label">{label}{word("caption-separator")}</span>' if label else ""
    caption_open.content = f"<figcaption>{lead}"
    caption_close = Token("html_inline", "", 0)
    caption_close.content = "</figcaption>"
    children = [picture, caption_open, *(image.children or []), caption_close]
    body = inline.copy(children=children)
    return [opening, body, Token("figure_close", "figure", -1)]


def _caption_tokens(inline: Token, target: Target | None) -> list[Token]:
    """A table's `<caption>`: its number and the caption's inline Markdown, without the
    `Table:` lead and the `{#id}` attributes."""
    children = list(inline.children or [])  # a citation keeps its identity (bibliography.py)
    if children and children[0].type == "text":
        lead = re.sub(r"^(?:Table)?:\s+", "", children[0].content)
        children[0] = children[0].copy(content=lead)
    if children and children[-1].type == "text":
        tail = re.sub(r"\s*\{[^{}]*\}\s*$", "", children[-1].content)
        children[-1] = children[-1].copy(content=tail)
    label = escapeHtml(target.label()) if target and target.number else ""
    if label:
        lead = Token("html_inline", "", 0)
        lead.content = f'<span class="table-label">{label}{word("caption-separator")}</span>'
        children.insert(0, lead)
    return [
        Token("caption_open", "caption", 1),
        inline.copy(children=children, map=None),
        Token("caption_close", "caption", -1),
    ]


def _with_references(token: Token, chapter: Chapter, targets: Targets, paged: bool) -> Token:
    children = token.children or []
    if not any(c.type == "citation" and _is_crossref(c) for c in children):
        return token
    kept = []
    for child in children:
        if child.type == "citation" and _is_crossref(child):
            html = reference_html(child, chapter, targets, paged)
            kept.append(Token("html_inline", "", 0, content=html))
        else:
            kept.append(child)
    return token.copy(children=kept)


def _is_crossref(citation: Token) -> bool:
    return all(prefix_of(item.key) for item in citation.meta["items"])


def reference_html(citation: Token, chapter: Chapter, targets: Targets, paged: bool) -> str:
    """`Figure 1` as a link to the figure; in print followed by ` (p. 5)`, the page drawn by
    the stylesheet from the link (target-counter). Unknown: `??` (check reports it)."""
    parts = []
    for item in citation.meta["items"]:
        target = targets.find(item.key, chapter.slug)
        if target is None:
            parts.append(escapeHtml(f"{word('unknown')}@{item.key}"))
            continue
        words = escapeHtml(target.label(item.suppress_author))
        html = f'<a class="xref xref-{target.prefix}" href="#{target.ident}">{words}</a>'
        if not target.shown:  # in a chapter this handout leaves out: no link, no page
            html = f'<span class="xref xref-{target.prefix}">{words}</span>'
        elif paged:
            html += (
                f'<span class="xref-page"> ({escapeHtml(word("page"))}\u00a0'
                f'<a class="xref-page-number" href="#{target.ident}"></a>)</span>'
            )
        around = [escapeHtml(item.prefix), html, escapeHtml(_suffix(item))]
        parts.append(" ".join(p for p in around if p))
    return "; ".join(parts)


def _suffix(item) -> str:
    return " ".join(p for p in (item.locator, item.suffix) if p)


def lists(targets: Targets, wanted: set[str]) -> list[tuple[str, list[Target]]]:
    """The lists (of figures, of tables) to print after the contents: (title, targets), for
    the prefixes `wanted` that have a list and something in it."""
    return [
        (word(kind.listed), targets.of_kind(prefix))
        for prefix, kind in PREFIXES.items()
        if prefix in wanted and kind.listed and targets.of_kind(prefix)
    ]
