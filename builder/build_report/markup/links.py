"""What each source file refers to: images and links in chapters, url() and @import in CSS.

Used to name the file that asked for a refused resource, to collect an EPUB's stylesheets and
fonts, and by `check`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from markdown_it.token import Token

from build_report.markup.parser import image_src
from build_report.project.model import Book, Chapter

CSS_REF = re.compile(
    r"""@import\s+(?:url\()?\s*["']?([^"')\s;]+)|url\(\s*["']?([^"')]+)["']?\s*\)"""
)
HTML_REF = re.compile(r"""\b(src|href|data)\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class Reference:
    kind: str  # "image", "link", "css"
    target: str  # as written
    source: str  # file that refers to it, project-relative
    line: int | None = None


def walk(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from walk(token.children)


def with_lines(chapter: Chapter) -> Iterator[tuple[Token, int | None]]:
    """Every token with the source line of the nearest block that holds it."""
    line = None
    for token in walk(list(chapter.tokens)):
        if token.map:
            line = chapter.body_line + token.map[0]
        yield token, line


def chapter_references(chapter: Chapter) -> list[Reference]:
    out = []
    for token, line in with_lines(chapter):
        if token.type == "image":
            out.append(Reference("image", str(token.attrGet("src") or ""), chapter.source, line))
        elif token.type == "link_open":
            out.append(Reference("link", str(token.attrGet("href") or ""), chapter.source, line))
        elif token.type in ("html_block", "html_inline"):
            for attr, value in HTML_REF.findall(token.content):
                kind = "link" if attr.lower() == "href" else "image"
                out.append(Reference(kind, value, chapter.source, line))
    return out


def css_references(root: Path, first: str) -> list[Reference]:
    """Every url() and @import reachable from a stylesheet, project-relative, in order."""
    out: list[Reference] = []
    seen: set[str] = set()
    queue = [first]
    while queue:
        href = queue.pop(0)
        if href in seen:
            continue
        seen.add(href)
        path = root / href
        if not path.is_file() or not href.endswith(".css"):
            continue
        text = path.read_text("utf-8", errors="replace")
        for match in CSS_REF.finditer(text):
            ref = match.group(1) or match.group(2)
            line = text.count("\n", 0, match.start()) + 1
            out.append(Reference("css", ref, href, line))
            if not urlsplit(ref).scheme:
                queue.append(posixpath.normpath(posixpath.join(posixpath.dirname(href), ref)))
    return out


def origins(book: Book, stylesheet: str) -> dict[str, str]:
    """URL as WeasyPrint will ask for it -> the file that asked, for clear refusals."""
    base = book.root.resolve().as_uri() + "/"
    found: dict[str, str] = {}
    for chapter in book.chapters:
        for ref in chapter_references(chapter):
            if ref.kind == "image":
                found.setdefault(urljoin(base, image_src(ref.target)), chapter.source)
                found.setdefault(urljoin(base, ref.target), chapter.source)  # raw HTML
    for ref in css_references(book.root, stylesheet):
        url = urljoin(urljoin(base, ref.source), ref.target)
        found.setdefault(url, ref.source)
    found.setdefault(urljoin(base, stylesheet), "report.toml")
    return found


def anchor_links(book: Book) -> dict[str, Reference]:
    """Fragment as the print document has it (`x`, or `slug--x` across chapters) -> the link
    that points there, so a missing anchor can be reported at its source line."""
    slugs = {posixpath.basename(ch.source): ch.slug for ch in book.chapters}
    found: dict[str, Reference] = {}
    for chapter in book.chapters:
        for ref in chapter_references(chapter):
            parts = urlsplit(ref.target)
            if ref.kind != "link" or parts.scheme or not parts.fragment:
                continue
            slug = slugs.get(posixpath.basename(parts.path)) if parts.path else None
            key = f"{slug}--{parts.fragment}" if slug else parts.fragment
            found.setdefault(key, ref)
    return found
