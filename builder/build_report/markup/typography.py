"""Typographic quotes in linear time: markdown-it's `smartquotes` rule, with the same decisions.

The rule that ships with markdown-it is quadratic in three places: it slices the rest of the
text at every quote, rebuilds the whole text for every quote it replaces, and looks for the
matching opening quote by walking the whole stack of open quotes. A 160 KB chapter of `'a" `
repeats took about a minute, in every command. Here each text keeps a list of its characters
(a replaced quote takes one slot, whatever its length, so no position moves), quotes are found
in one pass, and each kind of quote keeps its own stack of openers, so the match is the top of
one list. Every step is constant time (amortized), and the output equals the original rule's.

The marks follow the document's language when the caller says which (`env["language"]`),
else the parser's `quotes` option (English).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
from markdown_it.rules_core.state_core import StateCore
from markdown_it.token import Token

QUOTE = re.compile(r"['\"]")
APOSTROPHE = "\u2019"
SPACE = " "
NBSP = "\u00a0"

# Double open, double close, single open, single close: as typeset in each language.
QUOTES: dict[str, tuple[str, str, str, str]] = {
    "en": ("\u201c", "\u201d", "\u2018", "\u2019"),
    "nl": ("\u201c", "\u201d", "\u2018", "\u2019"),
    "de": ("\u201e", "\u201c", "\u201a", "\u2018"),
    "fr": ("\u00ab" + NBSP, NBSP + "\u00bb", "\u2039" + NBSP, NBSP + "\u203a"),
    "es": ("\u00ab", "\u00bb", "\u201c", "\u201d"),
    "it": ("\u00ab", "\u00bb", "\u201c", "\u201d"),
    "pt": ("\u00ab", "\u00bb", "\u201c", "\u201d"),
    "pl": ("\u201e", "\u201d", "\u201a", "\u2019"),
    "ru": ("\u00ab", "\u00bb", "\u201e", "\u201c"),
    "sv": ("\u201d", "\u201d", "\u2019", "\u2019"),
}


def smartquotes_plugin(md: MarkdownIt) -> None:
    """Put the linear rule in place of markdown-it's own `smartquotes` core rule."""
    md.core.ruler.at("smartquotes", smartquotes)


def smartquotes(state: StateCore) -> None:
    """Curly quotes and apostrophes in every inline token's text (with `typographer` on)."""
    if not state.md.options.typographer:
        return
    marks = quote_marks(state.md, state.env)
    for token in state.tokens:
        if token.type == "inline" and token.children and QUOTE.search(token.content):
            _Quotes(token.children, marks).run()


def quote_marks(md: MarkdownIt, env: Any) -> tuple[str, str, str, str]:
    """The four marks for the document's language, or the parser's own."""
    language = env.get("language") if isinstance(env, dict) else None
    if isinstance(language, str):
        found = QUOTES.get(language.lower().replace("_", "-").split("-")[0])
        if found:
            return found
    quotes = md.options.quotes
    return (quotes[0], quotes[1], quotes[2], quotes[3])


@dataclass
class _Opener:
    token: int
    pos: int
    single: bool
    level: int


class _Quotes:
    """One inline token's children, as markdown-it's rule walks them (same names, same
    decisions), with the three quadratic steps made constant time."""

    def __init__(self, tokens: list[Token], marks: tuple[str, str, str, str]) -> None:
        self.tokens = tokens
        self.marks = marks
        self.chars: dict[int, list[str]] = {}  # token -> its characters, once one is replaced
        self.stack: list[_Opener] = []
        self.kinds: dict[bool, list[int]] = {True: [], False: []}  # single? -> stack indices

    def run(self) -> None:
        for i, token in enumerate(self.tokens):
            while self.stack and self.stack[-1].level > token.level:
                self._cut(len(self.stack) - 1)
            if token.type == "text":
                for found in QUOTE.finditer(token.content):
                    self._quote(i, found.start(), found.group(0) == "'")
        for i, chars in self.chars.items():
            self.tokens[i].content = "".join(chars)

    def _quote(self, i: int, pos: int, single: bool) -> None:
        level = self.tokens[i].level
        last, following = self._before(i, pos), self._after(i, pos)
        last_punct = isMdAsciiPunct(ord(last)) or isPunctChar(last)
        next_punct = isMdAsciiPunct(ord(following)) or isPunctChar(following)
        last_space, next_space = isWhiteSpace(ord(last)), isWhiteSpace(ord(following))
        can_open = not next_space and not (next_punct and not (last_space or last_punct))
        can_close = not last_space and not (last_punct and not (next_space or next_punct))
        if following == '"' and not single and "0" <= last <= "9":
            can_open = can_close = False  # 1"" - the first is an inch mark
        if can_open and can_close:  # foo-"-bar-"-baz, not foo"bar"baz or foo " bar " baz
            can_open, can_close = last_punct, next_punct
        if not can_open and not can_close:
            if single:  # in the middle of a word
                self._set(i, pos, APOSTROPHE)
            return
        if can_close and self._close(i, pos, single, level):
            return
        if can_open:
            self.stack.append(_Opener(i, pos, single, level))
            self.kinds[single].append(len(self.stack) - 1)
        elif single:
            self._set(i, pos, APOSTROPHE)

    def _close(self, i: int, pos: int, single: bool, level: int) -> bool:
        """Close the nearest open quote of this kind at this level, if there is one."""
        kind = self.kinds[single]
        if not kind or self.stack[kind[-1]].level != level:
            return False
        at = kind[-1]
        opener = self.stack[at]
        open_mark, close_mark = self.marks[2:] if single else self.marks[:2]
        self._set(i, pos, close_mark)
        self._set(opener.token, opener.pos, open_mark)
        self._cut(at)
        return True

    def _cut(self, size: int) -> None:
        """Forget the open quotes from stack index `size` up."""
        del self.stack[size:]
        for kind in self.kinds.values():
            while kind and kind[-1] >= size:
                kind.pop()

    def _set(self, i: int, pos: int, mark: str) -> None:
        chars = self.chars.get(i)
        if chars is None:
            chars = self.chars[i] = list(self.tokens[i].content)
        chars[pos] = mark

    def _text(self, i: int) -> list[str] | str:
        return self.chars.get(i) or self.tokens[i].content

    def _before(self, i: int, pos: int) -> str:
        """The character before the quote, across tokens to the start of the line."""
        if pos > 0:
            return self._text(i)[pos - 1][-1:] or SPACE
        for j in range(i - 1, -1, -1):
            if self.tokens[j].type in ("softbreak", "hardbreak"):
                break
            if self.tokens[j].content:
                return self._text(j)[-1][-1:] or SPACE
        return SPACE

    def _after(self, i: int, pos: int) -> str:
        """The character after the quote, across tokens to the end of the line."""
        text = self._text(i)
        if pos + 1 < len(text):
            return text[pos + 1][:1] or SPACE
        for j in range(i + 1, len(self.tokens)):
            if self.tokens[j].type in ("softbreak", "hardbreak"):
                break
            if self.tokens[j].content:
                return self._text(j)[0][:1] or SPACE
        return SPACE
