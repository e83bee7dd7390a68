"""Learning aids checked against the text: each key point, timeline entry, key term and
question may carry a `source:` quote from its chapter, which must be in the chapter's text
(or, with `source_chapter:`, in the text of the chapter it names: an introduction's timeline
of the whole book).

The quote is looked for in the text the reader sees, not in the Markdown: in each block
(paragraph, heading, list item, table cell) of the chapter body, with its inline markup
(emphasis, links, code, footnote calls) taken away. Both sides are normalised the same way
before comparing: runs of white space are one space, curly quotes and apostrophes are
straight ones, every dash longer than a hyphen (`—`, `–`, `--`, `---`) is one dash with no
space around it, `…` is `...`; case and everything else must match. A quote never spans two
blocks (a paragraph is the unit an aid stands on), and pull quotes (`::: pullquote`), which
repeat the text, are not looked in.

Where the quote is found the chapter gets a `<span class="aid-source" id="src-...">` around
the quoted words (widened to whole elements when the quote starts inside an emphasis, a
link or another aid's passage and ends outside it, since elements cannot overlap), and the
aid gets a small link to it. A quote that is not found is a stale aid: an error in `check`
and in every build, because an aid that says "the text says so" is a claim about the text
(findings()).
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

from markdown_it.token import Token

from build_report.errors import Diagnostic
from build_report.markup.parser import body_tokens
from build_report.project.model import Book, Chapter

CLASS = "aid-source"
LEAD = "aid-source-lead"  # the spaces before a passage (see _insert)
QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"'})
# What is written otherwise (quotes are translated): a dash with the white space around it,
# white space other than one space, an ellipsis.
SPECIAL = re.compile(r"\s*(?:-{2,}|[—–―])\s*|(?! )\s|\s{2,}|…")


@dataclass(frozen=True)
class Aid:
    """One aid with a source quote: what it is (for messages), the quote, where it is set."""

    kind: str  # "key point", "timeline entry", "key term", "question"
    item: object  # the aid as the chapter holds it (KeyPoint, TimelineEntry, ...)
    source: str
    line: int
    source_chapter: str = ""  # the chapter file the quote is in, if not the aid's own


def aids(chapter: Chapter) -> list[Aid]:
    """The chapter's aids that carry a source, in front matter order."""
    found = [
        Aid(kind, item, item.source, item.line, item.source_chapter)
        for kind, items in (
            ("key point", chapter.key_points),
            ("timeline entry", chapter.timeline),
            ("key term", chapter.key_terms),
            ("question", chapter.questions),
        )
        for item in items
    ]
    return [aid for aid in found if aid.source]


def chapter_files(book: Book) -> dict[str, Chapter]:
    """Chapter file name (`02-genesis.md`) -> chapter, for `source_chapter:` (the whole
    book's: a selection keeps the names of the chapters it leaves out)."""
    return {posixpath.basename(ch.source): ch for ch in book.all_chapters}


def home(aid: Aid, chapter: Chapter, files: dict[str, Chapter]) -> Chapter | None:
    """The chapter whose text the aid quotes: its own, or the one `source_chapter` names
    (None when no chapter has that name)."""
    if not aid.source_chapter:
        return chapter
    return files.get(posixpath.basename(aid.source_chapter))


_KEYS: dict[int, tuple[object, dict[str, tuple[str, ...]]]] = {}


def quote_keys(book: Book) -> dict[str, tuple[str, ...]]:
    """Chapter slug -> the quotes looked for in its text: its own aids' and those of other
    chapters' aids that name it. Kept per book (its chapters, by identity)."""
    kept = _KEYS.get(id(book.chapters))
    if kept and kept[0] is book.chapters:
        return kept[1]
    files = chapter_files(book)
    found: dict[str, set[str]] = {}
    for chapter in book.chapters:
        for aid in aids(chapter):
            target = home(aid, chapter, files)
            if target is not None:
                found.setdefault(target.slug, set()).add(quote_key(aid.source))
    keys = {slug: tuple(sorted(quotes)) for slug, quotes in found.items()}
    if len(_KEYS) > 1_000:
        _KEYS.clear()
    _KEYS[id(book.chapters)] = (book.chapters, keys)
    return keys


class Normal:
    """The text of some pieces (text, owner) as compared, and where each of its characters
    came from. Kept as segments (a run copied as it is, or one replacement), not a table per
    character, and single spaces are copied with their run: a chapter's paragraphs are
    normalised on every build, so this is done in few steps."""

    def __init__(self, pieces: list[tuple[str, int]]) -> None:
        self.starts: list[int] = []  # each segment's first position in the text
        self.segments: list[tuple[int, int, int, bool]] = []  # owner, start, end, copied
        self._parts: list[str] = []
        self._size = 0
        for text, owner in pieces:
            text = text.translate(QUOTES)  # one character for one: offsets stay
            at = 0
            for found in SPECIAL.finditer(text):
                self._copy(text, owner, at, found.start())
                mark = found.group().strip()
                if not mark:  # white space other than one space
                    if self._last() not in ("", " ", "—"):
                        self._put(" ", owner, found.start(), found.end())
                elif mark == "…":
                    self._put("...", owner, found.start(), found.end())
                else:  # a dash, with the white space around it
                    self._trim()
                    self._put("—", owner, found.start(), found.end())
                at = found.end()
            self._copy(text, owner, at, len(text))
        self.text = "".join(self._parts)

    def _last(self) -> str:
        return self._parts[-1][-1] if self._parts else ""

    def _put(self, text: str, owner: int, start: int, end: int, copied: bool = False) -> None:
        self.starts.append(self._size)
        self.segments.append((owner, start, end, copied))
        self._parts.append(text)
        self._size += len(text)

    def _copy(self, text: str, owner: int, start: int, end: int) -> None:
        """Text as it is, without a space where one was just written (pieces meet there)."""
        while start < end and text[start] == " " and self._last() in ("", " ", "—"):
            start += 1
        if start < end:
            self._put(text[start:end], owner, start, end, True)

    def _trim(self) -> None:
        """No space before a dash (it may end the run before, or another piece)."""
        if self._last() != " ":
            return
        owner, start, end, copied = self.segments[-1]
        self._size -= 1
        if len(self._parts[-1]) == 1:
            self.starts.pop()
            self.segments.pop()
            self._parts.pop()
        else:
            self._parts[-1] = self._parts[-1][:-1]
            self.segments[-1] = (owner, start, end - 1, copied)

    def source(self, position: int, end: bool = False) -> tuple[int, int]:
        """(owner, offset) of the character at `position` of the text; `end`: the offset
        just after it."""
        k = bisect_right(self.starts, position) - 1
        owner, start, stop, copied = self.segments[k]
        if not copied:
            return owner, stop if end else start
        return owner, start + position - self.starts[k] + (1 if end else 0)


def normal(text: str) -> str:
    """`text` as compared (Normal's text, for a single string)."""
    return Normal([(text, 0)]).text


@lru_cache(maxsize=4096)
def quote_key(source: str) -> str:
    """A quote as compared: normalised, without space at its ends."""
    return normal(source).strip()


def anchor_id(chapter: Chapter, source: str) -> str:
    """The id of a quote's anchor: the same quote has the same id in every output (and two
    aids that quote the same words share it)."""
    digest = hashlib.sha1(quote_key(source).encode("utf-8")).hexdigest()[:8]
    return f"src-{chapter.slug}-{digest}"


TEXT_TYPES = ("text", "code_inline")
SPACE_TYPES = ("softbreak", "hardbreak")


def _pieces(children: list[Token]) -> list[tuple[str, int]]:
    """What each child of an inline token contributes to the text the reader sees."""
    pieces = []
    for k, child in enumerate(children):
        if child.type in TEXT_TYPES:
            pieces.append((child.content, k))
        elif child.type in SPACE_TYPES:
            pieces.append((" ", k))
    return pieces


PULL_QUOTE = "pullquote"  # `::: pullquote`: repeats words of the text, in the margin


def _blocks(tokens: list[Token]) -> list[int]:
    """The indices of the chapter text's inline tokens (paragraphs, headings, items, cells),
    leaving out the notes and pull quotes: a pull quote repeats the text, and an aid links to
    the text itself."""
    found, depth = [], 0  # depth: inside how many pull quote divs (or divs within one)
    for i, token in enumerate(body_tokens(tokens)):
        if token.type == "div_open" and (
            depth or PULL_QUOTE in str(token.attrGet("class") or "").split()
        ):
            depth += 1
        elif token.type == "div_close" and depth:
            depth -= 1
        elif token.type == "inline" and token.children and not depth:
            found.append(i)
    return found


def _find(children: list[Token], key: str) -> tuple[int, int, int, int] | None:
    """Where `key` is in the children's text: (first child, offset, last child, end offset)."""
    text = Normal(_pieces(children))
    at = text.text.find(key)
    if at < 0 or not key:
        return None
    first, start = text.source(at)
    last, end = text.source(at + len(key) - 1, end=True)
    return first, start, last, end


_LOCATED: dict[int, tuple[object, tuple[str, ...], dict[str, str]]] = {}


WORD = re.compile(r"\w+")


def _probes(keys: tuple[str, ...]) -> dict[str, str]:
    """Each quote key's longest word: where the key is in a block's normal text, this word is
    in its text as written, since normalising changes only quotes, dashes, white space and
    ellipses. So a block without it is not normalised at all (most blocks, most builds)."""
    return {key: max(WORD.findall(key), key=len, default="") for key in keys}


def _candidates(
    pieces: list[tuple[str, int]], keys: tuple[str, ...], probes: dict[str, str], done
) -> list[str]:
    """The keys not `done` that may be in the block of `pieces` (see _probes)."""
    written = "".join(text for text, _ in pieces)
    return [key for key in keys if key not in done and probes[key] in written]


def located(chapter: Chapter, keys: tuple[str, ...]) -> dict[str, str]:
    """Quote key -> anchor id, for each of `keys` (quote_keys) found in the chapter's text.
    Asked by every template and by the findings: kept per chapter text (its tokens, by
    identity) and quotes."""
    if not keys:
        return {}
    kept = _LOCATED.get(id(chapter.tokens))
    if kept and kept[0] is chapter.tokens and kept[1] == keys:
        return kept[2]
    found: dict[str, str] = {}
    tokens = list(chapter.tokens)
    probes = _probes(keys)
    for index in _blocks(tokens):
        pieces = _pieces(tokens[index].children)
        wanted = _candidates(pieces, keys, probes, found)
        text = Normal(pieces).text if wanted else ""
        for key in wanted:
            if key in text:
                found[key] = anchor_id(chapter, key)
    if len(_LOCATED) > 10_000:  # a process that builds many books
        _LOCATED.clear()
    _LOCATED[id(chapter.tokens)] = (chapter.tokens, keys, found)
    return found


def with_anchors(tokens: list[Token], chapter: Chapter, keys: tuple[str, ...]) -> list[Token]:
    """The chapter's tokens with a span (class aid-source, an id) around each passage that
    `keys` (quote_keys) quote (copies: tokens are shared between outputs)."""
    if not keys:
        return tokens
    out = list(tokens)
    placed: set[str] = set()
    probes = _probes(keys)
    for index in _blocks(out):
        token = out[index]
        children = list(token.children)
        pieces = _pieces(children)
        wanted = _candidates(pieces, keys, probes, placed)
        text = Normal(pieces).text if wanted else ""
        here = [key for key in wanted if key in text]
        for key in here:  # the children change with each wrap: found again in them
            where = _find(children, key)
            if where is None:
                continue
            placed.add(key)
            children = _wrap(children, where, anchor_id(chapter, key))
        if children != list(token.children):
            out[index] = token.copy(children=children)
    return out


def _partners(children: list[Token]) -> dict[int, int]:
    """Each opening child's closing child, and back."""
    stack: list[int] = []
    partner: dict[int, int] = {}
    for k, child in enumerate(children):
        if child.nesting == 1:
            stack.append(k)
        elif child.nesting == -1 and stack:
            opened = stack.pop()
            partner[opened], partner[k] = k, opened
    return partner


def _wrap(children: list[Token], where: tuple[int, int, int, int], ident: str) -> list[Token]:
    first, start, last, end = where
    partner = _partners(children)
    changed = True
    # Widen to whole elements: a span cannot close inside an <em> it began outside. Another
    # aid's span counts as an element too, so overlapping passages nest instead of crossing.
    while changed:
        changed = False
        for k in range(first, last + 1):
            other = partner.get(k)
            if other is None:
                continue
            if children[k].nesting == 1 and other > last:
                last, end, changed = other, -1, True
            elif children[k].nesting == -1 and other < first:
                first, start, changed = other, 0, True
    lead = Token("span_open", "span", 1, attrs={"class": LEAD})
    opening = Token("span_open", "span", 1, attrs={"class": CLASS, "id": ident})
    closing = Token("span_close", "span", -1)
    children = _insert_after(children, last, end, [closing, closing])
    return _insert(children, first, start, lead, opening)


def _split(child: Token, at: int) -> list[Token]:
    return [child.copy(content=child.content[:at]), child.copy(content=child.content[at:])]


def _insert(children: list[Token], k: int, offset: int, lead: Token, opening: Token) -> list[Token]:
    """`lead`, the spaces before character `offset` of child `k`, then `opening` (before the
    child when 0).

    The spaces before the passage go inside the lead span ("years.<lead> <span>Their", not
    "years. <span>Their"): WeasyPrint 70, when a line could end at a space just before an
    inline element whose first word does not fit, broke the line after the first word of the
    text before it instead, leaving that word alone on a line ("defin-"). The passage's own
    span (its id) begins after them, so that its anchor is where its first word is, not at
    the end of the line before (a page early, when the passage begins a page)."""
    child = children[k]
    if child.type == "text":
        spaces = offset
        while spaces > 0 and child.content[spaces - 1] == " ":
            spaces -= 1
        if spaces < offset:
            text = child.content
            pieces = [child.copy(content=text[:spaces])] if spaces else []
            pieces += [lead, child.copy(content=text[spaces:offset]), opening]
            if offset < len(text):
                pieces.append(child.copy(content=text[offset:]))
            return [*children[:k], *pieces, *children[k + 1 :]]
    if offset == 0 and k > 0 and children[k - 1].type == "text":
        before = children[k - 1].content
        kept = before.rstrip(" ")
        if kept and kept != before:
            moved = children[k - 1].copy(content=before[len(kept) :])
            return [
                *children[: k - 1],
                children[k - 1].copy(content=kept),
                lead,
                moved,
                opening,
                *children[k:],
            ]
    if child.type in TEXT_TYPES and 0 < offset < len(child.content):
        if child.type == "code_inline":  # never cut a code span
            return [*children[:k], lead, opening, *children[k:]]
        before, after = _split(child, offset)
        return [*children[:k], before, lead, opening, after, *children[k + 1 :]]
    return [*children[:k], lead, opening, *children[k:]]


def _insert_after(children: list[Token], k: int, end: int, new: list[Token]) -> list[Token]:
    """`new` after character `end` of child `k` (after the child when -1 or at its end)."""
    child = children[k]
    if child.type == "text" and 0 < end < len(child.content):
        before, after = _split(child, end)
        return [*children[:k], before, *new, after, *children[k + 1 :]]
    return [*children[: k + 1], *new, *children[k + 1 :]]


def findings(book: Book) -> list[Diagnostic]:
    """A source quote that is not in its chapter's text: a stale aid, an error (the aid claims
    the text says something it no longer says), at the quote's front matter line. So is a
    `source_chapter` that names no chapter."""
    files, keys = chapter_files(book), quote_keys(book)
    shown = {ch.slug for ch in book.chapters}
    found = []
    for chapter in book.chapters:
        for aid in aids(chapter):
            target = home(aid, chapter, files)
            kind = "stale aids (source quote not in the text)"
            if target is None:
                kind = "aids whose source_chapter names no chapter"
                message = (
                    f"{aid.kind}: source_chapter '{aid.source_chapter}' is not a chapter of "
                    f"the book; name the file of the chapter that holds the quote, e.g. "
                    f"{posixpath.basename(book.all_chapters[0].source)}"
                )
            elif target.slug not in shown or quote_key(aid.source) in located(
                target, keys.get(target.slug, ())
            ):
                continue  # found (or in a chapter this selection leaves out)
            else:
                quote = aid.source if len(aid.source) <= 60 else aid.source[:57] + "..."
                where = (
                    "the chapter's text" if target is chapter else f"the text of {target.source}"
                )
                message = (
                    f'stale {aid.kind}: its source "{quote}" is not in {where}; quote the '
                    "passage as the chapter now words it, or correct or remove the aid"
                )
            found.append(
                Diagnostic(
                    chapter.source,
                    aid.line or None,
                    None,
                    "error",
                    message,
                    kind=kind,
                )
            )
    return found


def ids(chapter: Chapter, book: Book | None = None) -> list[str]:
    """The anchor ids the chapter gains, so links to them resolve in `check` as in builds
    (without `book`, for its own aids' quotes only)."""
    if book is None:
        keys = tuple(sorted({quote_key(a.source) for a in aids(chapter) if not a.source_chapter}))
    else:
        keys = quote_keys(book).get(chapter.slug, ())
    return list(located(chapter, keys).values())


class AidLinks:
    """Aid -> the link to its passage, for the templates (`aid_link(point)`): by the aid
    object itself, so the handout's and glossary's lists, which gather the aids of every
    chapter, still link each to its passage. `files`: chapter slug -> the document that
    holds it (the EPUB's files; the Markdown names for the glossary), none in print."""

    def __init__(self, book: Book, files: dict[str, str] | None = None) -> None:
        self._links: dict[int, str] = {}
        self._kept: list[object] = []  # the aids, alive while their ids are keys
        names, keys = chapter_files(book), quote_keys(book)
        shown = {ch.slug for ch in book.chapters}
        for chapter in book.chapters:
            for aid in aids(chapter):
                target = home(aid, chapter, names)
                if target is None or target.slug not in shown:
                    continue
                ident = located(target, keys.get(target.slug, ())).get(quote_key(aid.source))
                if ident:
                    file = files.get(target.slug, "") if files else ""
                    self._links[id(aid.item)] = f"{file}#{ident}"
                    self._kept.append(aid.item)

    def __call__(self, aid) -> str:
        return self._links.get(id(aid), "")


def link_html(href: str, words) -> str:
    """The small link from an aid to its passage (the templates' `source_link` macro makes
    the same): an arrow, named for screen readers (on a span: the sanitizer keeps
    aria-label there) and in a tooltip."""
    if not href:
        return ""
    from markupsafe import escape

    label = escape(words("source_passage"))
    return (
        f'<a class="aid-source-link" href="{escape(href)}" title="{label}">'
        f'<span role="img" aria-label="{label}">↗</span></a>'
    )
