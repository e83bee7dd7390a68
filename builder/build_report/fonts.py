"""Which characters the project's fonts can draw, and where the chapters use one they cannot.

The layout engine sees only the stylesheets' fonts (pdf/only_our_fonts.py), so a character
none of them has prints as an empty box. Finding that takes no layout: the fonts' character
maps (fontTools) say what they can draw, and the sources say what they use. Every build and
`check` report each such character once per file, at its first line and column.

The fonts are read in the order the stylesheets name them and only until every character of
the book is covered: an English book reads one font's map, not the 7 MB CJK face's.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from build_report.errors import Diagnostic
from build_report.markup.references import css_references, css_target, inside_project
from build_report.project.model import Book

FONT_SUFFIXES = (".ttf", ".otf", ".woff", ".woff2", ".ttc")
FACE = re.compile(r"@font-face\s*\{[^{}]*\}", re.IGNORECASE)
URL = re.compile(r"""url\(\s*(["']?)([^"')]+)\1\s*\)""", re.IGNORECASE)
WEIGHT = re.compile(r"font-weight\s*:\s*(\w+)", re.IGNORECASE)
STYLE = re.compile(r"font-style\s*:\s*(\w+)", re.IGNORECASE)
FAMILY = re.compile(r"""font-family\s*:\s*(["']?)([^"';}]+)\1""", re.IGNORECASE)
# A family name that leads its list: quoted and not after a comma, or unquoted after
# `font-family:`.
LEADING = re.compile(r"""(,\s*)?(["'])([^"']+)\2|font-family\s*:\s*([\w -]+?)\s*[,;}]""")

MAX_FONT_BYTES = 64 * 1024 * 1024
KIND = "a character no font can draw"
_MAPS: dict[tuple[str, int, int], frozenset[int]] = {}  # (path, size, mtime) -> code points


def drawn_without_font(char: str) -> bool:
    """Characters that need no glyph: spaces, controls, joiners, direction marks and
    variation selectors (they steer other glyphs)."""
    code = ord(char)
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:
        return True
    return unicodedata.category(char)[0] in "CZ"


def font_files(book: Book) -> list[Path]:
    """The font files the configured stylesheets load, in the order they name them."""
    config = book.config
    found: dict[Path, None] = {}
    for first in (*config.print_stylesheets, config.handout.css, config.build.screen_css):
        for ref in css_references(book.root, first):
            target = book.root / css_target(ref)
            if target.suffix.lower() in FONT_SUFFIXES and target.is_file():
                found[target] = None
    return list(found)


def _character_map(path: Path, root: Path) -> frozenset[int]:
    """The code points one font file maps to glyphs ("" if it cannot be read as a font)."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _MAPS:
        from fontTools.ttLib import TTFont, TTLibError

        from build_report.safe_open import NotInside, read_inside

        try:
            data = read_inside(root, path.relative_to(root), MAX_FONT_BYTES)
            font = TTFont(io.BytesIO(data), lazy=True, fontNumber=0)
            # glyphs by number, not by name: the names (the post or CFF table) were most
            # of the cost, and the map's characters are the same
            font.setGlyphOrder([f"g{n}" for n in range(font["maxp"].numGlyphs)])
            _MAPS[key] = frozenset(font.getBestCmap() or ())
        except (TTLibError, NotInside, OSError, ValueError, KeyError, AssertionError):
            _MAPS[key] = frozenset()
    return _MAPS[key]


def uncovered(characters: Iterable[str], fonts: Iterable[Path], root: Path) -> set[str]:
    """The characters of `characters` that none of `fonts` can draw."""
    left = {c for c in characters if not drawn_without_font(c)}
    for path in fonts:
        if not left:
            break
        left = {c for c in left if ord(c) not in _character_map(path, root)}
    return left


@dataclass(frozen=True)
class Source:
    """A text the outputs print, and the file it is shown as."""

    shown: str
    text: str


def sources(book: Book) -> Iterator[Source]:
    """report.toml (title, author, labels) and every chapter file, as read from disk."""
    from build_report.project.chapters import read_text

    root = book.root
    config_path = book.config.path
    yield Source(config_path.name, config_path.read_text("utf-8", errors="replace"))
    for chapter in book.chapters:
        yield Source(chapter.source, read_text(root / chapter.source, chapter.source, root))


def undrawable(book: Book) -> list[Diagnostic]:
    """One warning per file and character that no configured font can draw, at its first use."""
    texts = list(sources(book))
    used = set().union(*(set(s.text) for s in texts))
    missing = uncovered(used, font_files(book), book.root)
    found: list[Diagnostic] = []
    for source in texts:
        for char in sorted(missing & set(source.text)):
            found.append(_where(source, char))
    return found


def _where(source: Source, char: str) -> Diagnostic:
    """The warning for `char` in `source`: where it first appears, and how often."""
    offset = source.text.index(char)
    line = source.text.count("\n", 0, offset) + 1
    column = offset - (source.text.rfind("\n", 0, offset) + 1) + 1
    name = unicodedata.name(char, "unnamed character")
    times = source.text.count(char)
    more = f" (and {times - 1} more)" if times > 1 else ""
    return Diagnostic(
        source.shown,
        line,
        column,
        "warning",
        f"no font can draw {char} (U+{ord(char):04X} {name}){more}; it prints as an empty box: "
        "add a font that has it to the stylesheet's font-family, or remove it",
        KIND,
    )


# ---- which @font-face rules a text needs (the PDF's stylesheets, the ebook's) ----


@dataclass(frozen=True)
class Face:
    """One `@font-face` rule: where it is, the font file it loads, and its weight and style."""

    stylesheet: str
    rule: str
    font: str  # the font's href in the ebook
    weight: str
    style: str
    family: str


def faces(stylesheets: dict[str, str]) -> list[Face]:
    """The `@font-face` rules of the stylesheets, in order, with their font's ebook href."""
    found = []
    for href, text in stylesheets.items():
        for rule in FACE.findall(text):
            url = URL.search(rule)
            if url is None:
                continue
            font = str(PurePosixPath(href).parent / url.group(2))
            font = _normalized(font)
            weight = _value(WEIGHT, rule)
            weight = {"normal": "400", "bold": "700"}.get(weight, weight)
            style = _value(STYLE, rule)
            family = FAMILY.search(rule)
            name = family.group(2) if family else ""
            found.append(Face(href, rule, font, weight, style, name.strip().lower()))
    return found


def _value(pattern: re.Pattern[str], rule: str) -> str:
    found = pattern.search(rule)
    return found.group(1).lower() if found else "normal"


def _normalized(path: str) -> str:
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)


def leading_families(sheets: Iterable[str]) -> set[str]:
    """The families that come first in some font-family list of the stylesheets (lower case)."""
    found = set()
    for text in sheets:
        text = FACE.sub("", text)
        for match in LEADING.finditer(text):
            if match.group(3) and not match.group(1):
                found.add(match.group(3).strip().lower())
            elif match.group(4):
                found.add(match.group(4).strip().lower())
    return found


def choose(
    found: list[Face],
    leading: set[str],
    used: set[int],
    cmap: Callable[[str], frozenset[int]],
) -> dict[str, set[int]]:
    """The faces of `found` that the characters `used` need, with the characters each has:
    a face of a leading family (first in some font-family list) when the text uses any
    character it has; another face (a fallback for other scripts) only for characters no
    leading face of its weight and style has. A fallback's map is read only when some
    character is left uncovered, so an English text never opens the CJK face."""
    covered: dict[tuple[str, str], set[int]] = {}
    for face in found:
        if face.family in leading:
            covered.setdefault((face.weight, face.style), set()).update(cmap(face.font))
    every_leading = set().union(*covered.values()) if covered else set()
    left = {c for c in used if c > 32} - every_leading
    keep: dict[str, set[int]] = {}
    for face in found:
        if face.family in leading:
            mine = used & cmap(face.font)
            if mine - {32}:
                keep.setdefault(face.font, set()).update(mine)
        elif left or covered.get((face.weight, face.style)) is None:
            mine = used & cmap(face.font)
            if mine - covered.get((face.weight, face.style), set()) - {32}:
                keep.setdefault(face.font, set()).update(mine)
    return keep


def leading_only(text: str, href: str) -> str:
    """`text` (the stylesheet at `href`) with the `@font-face` rules of its leading families
    only: what `fit_stylesheet` keeps for a Latin text, found without reading a font (the
    engine's warm-up, pdf/adapter.py; the chapters' reader reads the maps meanwhile)."""
    leading = leading_families([text])
    for face in faces({href: text}):
        if face.family not in leading:
            text = text.replace(face.rule, "", 1)
    return text


def read_maps(book: Book, used: set[int]) -> None:
    """Read, into this process's cache, the character maps that fitting the print
    stylesheets to a text of the characters `used` reads (`fit_stylesheet`): done by the
    process that reads the chapters, they come back to the one that forks the layout
    processes (processes.share_cache), which then find them there."""
    root = book.root
    for first in book.config.print_stylesheets:
        hrefs = [first, *(css_target(ref) for ref in css_references(root, first))]
        for href in dict.fromkeys(hrefs):
            path = root / href
            if href.endswith(".css") and inside_project(root, path) and path.is_file():
                fit_stylesheet(path.read_text("utf-8", errors="replace"), href, root, used)


def fit_stylesheet(text: str, href: str, root: Path, used: set[int]) -> str:
    """`text` (the stylesheet at project path `href`) without the `@font-face` rules that
    `used` does not need (see `choose`): the layout engine loads every face it is given,
    22 MB of them with the CJK faces, for a book in one script."""
    found = [f for f in faces({href: text}) if f.font.lower().endswith(FONT_SUFFIXES)]
    found = [f for f in found if (root / f.font).is_file()]
    if not found:
        return text
    keep = choose(found, leading_families([text]), used, lambda f: _character_map(root / f, root))
    for face in found:
        if face.font not in keep:
            text = text.replace(face.rule, "", 1)
    return text
