"""Pull quotes: `::: pullquote` (or `::: {.pullquote}`) around a passage to set large in the
margin of a briefing, as think-tank briefs and magazines do.

The div becomes an `<aside class="pullquote">`. A pull quote repeats words of the text, so when
its words are found in the chapter it is hidden from screen readers (`aria-hidden`), who would
otherwise hear them twice; a passage found nowhere else stays readable (DPUB-ARIA 1.1 deprecated
`doc-pullquote` and advises exactly this).
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore

CLASS = "pullquote"
_FOLD = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})
_QUOTES = "\"'\u00ab\u00bb\u201e\u201a"


def _plain(text: str) -> str:
    """Text compared for repetition: quotes straightened and trimmed, spaces collapsed."""
    folded = re.sub(r"\s+", " ", text.translate(_FOLD)).strip()
    return folded.strip(_QUOTES + " \u2014\u2013-").rstrip(".,;:").strip(_QUOTES)


def _is_pullquote(token) -> bool:
    return token.type == "div_open" and CLASS in (token.attrGet("class") or "").split()


def _mark(state: StateCore) -> None:
    tokens = state.tokens
    spans: list[tuple[int, int]] = []  # (open, close) index of each pull quote
    for start, token in enumerate(tokens):
        if not _is_pullquote(token):
            continue
        depth = 0
        for end in range(start, len(tokens)):
            kind = tokens[end].type
            depth += kind == "div_open"
            depth -= kind == "div_close"
            if depth == 0:
                spans.append((start, end))
                break
    if not spans:
        return
    inside = {i for start, end in spans for i in range(start, end + 1)}
    outside = (t.content for i, t in enumerate(tokens) if t.type == "inline" and i not in inside)
    text = _plain(" ".join(outside))
    for start, end in spans:
        tokens[start].tag = tokens[end].tag = "aside"
        quote = _plain(" ".join(t.content for t in tokens[start:end] if t.type == "inline"))
        if quote and quote in text:
            tokens[start].attrSet("aria-hidden", "true")


def pullquotes_plugin(md: MarkdownIt) -> None:
    md.core.ruler.push("pullquotes", _mark)
