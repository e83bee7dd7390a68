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
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from build_report.project.model import Chapter

if TYPE_CHECKING:  # the layout process reads stylesheets here, without Markdown
    from markdown_it.token import Token

CSS_REF = re.compile(
    r"""@import\s+(?:url\()?\s*["']?([^"')\s;]+)|url\(\s*["']?([^"')]+)["']?\s*\)"""
)
HTML_REF = re.compile(r"""\b(src|href|data)\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
HTML_ID = re.compile(r"""\b(?:id|name)\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class Reference:
    kind: str  # "image", "link", "id" (raw HTML), "css"
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
            for ident in HTML_ID.findall(token.content):
                out.append(Reference("id", ident, chapter.source, line))
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
        if not href.endswith(".css") or not inside_project(root, path) or not path.is_file():
            continue  # what is outside is refused by whoever loads it, and never read here
        text = path.read_text("utf-8", errors="replace")
        for match in CSS_REF.finditer(text):
            ref = match.group(1) or match.group(2)
            line = text.count("\n", 0, match.start()) + 1
            out.append(Reference("css", ref, href, line))
            if not urlsplit(ref).scheme:
                queue.append(css_target(out[-1]))
    return out


def inside_project(root: Path, path: Path) -> bool:
    """Whether `path`, links and `..` followed, is a file of the project (not under .git)."""
    base, real = root.resolve(), path.resolve()
    return base in real.parents and ".git" not in real.relative_to(base).parts


def css_target(ref: Reference) -> str:
    """A stylesheet's url() or @import as a project-relative path."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(ref.source), ref.target))
