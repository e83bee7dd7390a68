"""Numbered display equations and references to them.

`$$ A = \\pi r^2 $$ {#eq-area}` is numbered in the order of the book (1, 2, 3 ...; an
equation without an id is not numbered), and `@eq-area` in the text reads "Equation 1",
linked to it. `check` and the builds report a duplicate id and a reference to a missing one.

Cross-references to figures, tables and sections (`@fig-...`, `@tbl-...`, `@sec-...`) and
citations (`[@key]`) are another module's: `reference_rule(prefix, token_type)` makes the
inline rule for any one prefix, so each kind of reference can be added beside this one.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from build_report.errors import Diagnostic, did_you_mean
from build_report.markup.math import BLOCK_TYPES
from build_report.project.languages import words_in

PREFIX = "eq-"
REF_TYPE = "eq_ref"
NAME = re.compile(r"[A-Za-z0-9_:.-]*[A-Za-z0-9_]")
BEFORE = re.compile(r"[\w.+-]")  # `user@eq-host.org` is an address, not a reference


def reference_rule(prefix: str, token_type: str) -> Callable[[StateInline, bool], bool]:
    """An inline rule for `@prefix-name` (not after a letter, digit or `.`, so e-mail
    addresses stay text): a `token_type` token with the id in meta["id"]."""

    def rule(state: StateInline, silent: bool) -> bool:
        src, pos = state.src, state.pos
        if src[pos] != "@" or not src.startswith(prefix, pos + 1):
            return False
        if pos > 0 and BEFORE.match(src[pos - 1]):
            return False
        found = NAME.match(src, pos + 1 + len(prefix), state.posMax)
        if found is None:
            return False
        if not silent:
            token = state.push(token_type, "", 0)
            token.meta = {"id": prefix + found.group(0)}
            token.markup = "@"
        state.pos = found.end()
        return True

    return rule


def equations_plugin(md: MarkdownIt) -> None:
    md.inline.ruler.before("text", REF_TYPE, reference_rule(PREFIX, REF_TYPE))


def equation_label(number: int) -> str:
    """The number as the equation shows it, at the right margin."""
    return f"({number})"


def reference_text(number: int | str, env: Any = None) -> str:
    """What a reference to equation `number` reads, in the chapter's language."""
    return words_in(env)("equation", number=number)


def labelled(tokens: Iterable[Token]) -> Iterable[tuple[str, Token]]:
    for token in tokens:
        if token.type in BLOCK_TYPES and token.attrGet("id"):
            yield str(token.attrGet("id")), token


def equation_numbers(chapters: Iterable[Any]) -> dict[str, int]:
    """Each labelled display equation's number, in book order (the first of a repeated id)."""
    numbers: dict[str, int] = {}
    for chapter in chapters:
        for ident, _ in labelled(chapter.tokens):
            numbers.setdefault(ident, len(numbers) + 1)
    return numbers


def render_ref(self, tokens: list[Token], idx: int, options, env: Any) -> str:
    ident = tokens[idx].meta["id"]
    ctx = env.get("_render") if isinstance(env, dict) else None
    number = (ctx or {}).get("equations", {}).get(ident)
    if number is None:
        return f'<span class="eq-ref eq-missing">{reference_text("??", env)}</span>'
    return f'<a class="eq-ref" href="#{html.escape(ident)}">{reference_text(number, env)}</a>'


def equation_findings(chapters: Iterable[Any]) -> list[Diagnostic]:
    """Duplicate equation ids and references to equations that do not exist (errors)."""
    chapters = list(chapters)
    found: list[Diagnostic] = []
    seen: dict[str, str] = {}
    for chapter in chapters:
        for ident, token in labelled(chapter.tokens):
            line = chapter.body_line + token.map[0] if token.map else None
            if ident in seen:
                message = f"duplicate equation id '{ident}' (first in {seen[ident]})"
                found.append(Diagnostic(chapter.source, line, None, "error", message))
            else:
                seen[ident] = chapter.source
    for chapter in chapters:
        line = None
        for token in chapter.tokens:
            if token.map:
                line = chapter.body_line + token.map[0]
            for child in token.children or []:
                if child.type == REF_TYPE and child.meta["id"] not in seen:
                    ident = child.meta["id"]
                    hint = did_you_mean(ident, list(seen)) if seen else "there are none"
                    hint = hint.replace("known keys", "the equations are")
                    message = f"reference to a missing equation @{ident}; {hint}"
                    found.append(Diagnostic(chapter.source, line, None, "error", message))
    return found
