"""Every block of a chapter's body numbered, the same way in every render (print, EPUB).

The print layout records where each page starts as "block k of chapter c, n letters in"
(pages/record.py), and the ebook puts its page-break markers there (ebook/pagebreaks.py).
That only works if both renders call the same block by the same name, so the number is
given here, to the rendered HTML of each target alike, in document order: a per-chapter
running index in a `data-pb` attribute ("3.17": chapter 3, block 17). The ebook drops the
attribute once its markers are in place.
"""

from __future__ import annotations

import re

ATTRIBUTE = "data-pb"
# Blocks a page can start in: text blocks, and the rows and items of tables and lists.
BLOCKS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "pre", "blockquote", "dt", "dd"}
    | {"figure", "figcaption"}
)
# A whole start tag, quoted attribute values and all (so a "<p" inside an alt text is never
# taken for a tag), as the sanitizer writes them.
START_TAG = re.compile(
    r"""<([a-zA-Z][a-zA-Z0-9:-]*)((?:\s+[^\s"'=<>/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*(/?)>"""
)
COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def block_id(chapter: int, index: int) -> str:
    return f"{chapter}.{index}"


def mark_blocks(html: str, chapter: int) -> str:
    """`html` with `data-pb="chapter.k"` on its k-th block (BLOCKS), counted from 0. Text is
    escaped in sanitized HTML, so every `<` starts a tag or a comment."""
    out: list[str] = []
    index = 0
    position = 0
    while True:
        start = html.find("<", position)
        if start < 0:
            out.append(html[position:])
            break
        comment = COMMENT.match(html, start)
        if comment:
            out.append(html[position : comment.end()])
            position = comment.end()
            continue
        tag = START_TAG.match(html, start)
        if tag is None:
            out.append(html[position : start + 1])
            position = start + 1
            continue
        out.append(html[position : tag.end()])
        if tag.group(1).lower() in BLOCKS and ATTRIBUTE not in tag.group(2):
            closing = 2 if tag.group(3) else 1
            out[-1] = (
                html[position : tag.end() - closing]
                + f' {ATTRIBUTE}="{block_id(chapter, index)}"'
                + html[tag.end() - closing : tag.end()]
            )
            index += 1
        position = tag.end()
    return "".join(out)
