"""Pandoc's citation syntax, parsed into `citation` tokens: `[@key]`, `[@key, p. 4]`,
`[see @a; @b]`, `[-@key]` and the narrative `@key`.

One syntax serves two purposes, as in pandoc and Quarto: a key whose prefix is in
crossrefs.PREFIXES (`@fig-map`, `@tbl-budget`, `@sec-method`) is a cross-reference, any other
is a citation of a source. The parser only records what was written; what it reads as is
decided later (crossrefs.py, bibliography.py), when the whole book is known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

# pandoc: a key starts with a letter, digit or _, and may hold internal punctuation
KEY = r"[^\W](?:[\w]|[:.#$%&\-+?<>~/](?=[\w]))*"
ITEM = re.compile(rf"^(?P<prefix>|.*?\s)(?P<suppress>-?)@(?P<key>{KEY})(?P<suffix>.*)$", re.S)
NARRATIVE = re.compile(rf"@({KEY})")
# Characters that, just before an `@`, make it part of a word (an e-mail address, a handle)
WORDLIKE = re.compile(r"[\w.+\-@/:]")
# A locator's label as authors write it -> CSL's locator type
LOCATORS = {
    "p.": "page",
    "pp.": "page",
    "page": "page",
    "pages": "page",
    "chap.": "chapter",
    "ch.": "chapter",
    "chapter": "chapter",
    "sec.": "section",
    "§": "section",
    "§§": "section",
    "para.": "paragraph",
    "fig.": "figure",
    "vol.": "volume",
    "n.": "note",
    "l.": "line",
    "ll.": "line",
}
LOCATOR = re.compile(
    r"^\s*,?\s*(?:(?P<label>[^\s\d]+)\s*)?(?P<value>[\dIVXLCivxlc][\w\-–,]*)(?P<rest>.*)$"
)


@dataclass(frozen=True)
class CiteItem:
    """One key of a citation, with the words around it."""

    key: str
    prefix: str = ""
    locator_label: str = ""  # CSL's locator type ("page"), or "" for none
    locator: str = ""
    suffix: str = ""
    suppress_author: bool = False  # `[-@key]`: the year only, the author named in the text


def parse_items(inner: str) -> list[CiteItem] | None:
    """The items of `[...]` when it is a citation (every `;`-part holds a key), else None."""
    items = []
    for part in inner.split(";"):
        found = ITEM.match(part.strip())
        if not found:
            return None
        label, locator, suffix = _locator(found.group("suffix"))
        items.append(
            CiteItem(
                key=found.group("key"),
                prefix=found.group("prefix").strip(),
                locator_label=label,
                locator=locator,
                suffix=suffix,
                suppress_author=bool(found.group("suppress")),
            )
        )
    return items or None


def _locator(text: str) -> tuple[str, str, str]:
    """`, p. 4` -> ("page", "4", ""); `, chap. 2, and passim` -> ("chapter", "2", "and passim")."""
    found = LOCATOR.match(text)
    if not found:
        return "", "", text.strip().lstrip(",").strip()
    label = found.group("label") or ""
    kind = LOCATORS.get(label.lower()) if label else "page"
    if kind is None:
        return "", "", text.strip().lstrip(",").strip()
    rest = found.group("rest").strip().lstrip(",").strip()
    return kind, found.group("value").rstrip(","), rest


def _bracketed(state: StateInline, silent: bool) -> bool:
    src, start = state.src, state.pos
    if src[start] != "[" or start + 1 >= state.posMax or src[start + 1] == "^":
        return False
    if "@" not in src[start : state.posMax]:
        return False
    end = state.md.helpers.parseLinkLabel(state, start, False)
    if end < 0:
        return False
    after = src[end + 1 : end + 2]
    if after in ("(", "[", "{"):  # a link, a reference link or a bracketed span
        return False
    items = parse_items(src[start + 1 : end])
    if items is None:
        return False
    if not silent:
        token = state.push("citation", "", 0)
        token.content = src[start : end + 1]
        token.meta = {"items": items, "narrative": False}
    state.pos = end + 1
    return True


def _narrative(state: StateInline, silent: bool) -> bool:
    src, start = state.src, state.pos
    if src[start] != "@":
        return False
    if start > 0 and WORDLIKE.match(src[start - 1]):
        return False  # jane@example.org, a@b: neither a citation nor a reference
    found = NARRATIVE.match(src, start, state.posMax)
    if not found:
        return False
    if not silent:
        token = state.push("citation", "", 0)
        token.content = found.group()
        token.meta = {"items": [CiteItem(found.group(1))], "narrative": True}
    state.pos = found.end()
    return True


def citations_plugin(md: MarkdownIt) -> None:
    """Adds the two rules before links (a citation is not a link) and a fallback rendering:
    where no book is known (front matter strings), a citation prints as written."""
    md.inline.ruler.before("link", "citation", _bracketed)
    md.inline.ruler.before("link", "citation_narrative", _narrative)
    md.add_render_rule("citation", _as_written)


def _as_written(self, tokens, idx, options, env) -> str:
    from markdown_it.common.utils import escapeHtml

    return escapeHtml(tokens[idx].content)
