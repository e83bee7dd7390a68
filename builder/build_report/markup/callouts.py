"""Callouts: the boxes that draw a reader's attention (notes, warnings, classroom activities).

Written as GitHub alerts (`> [!NOTE]`, markdown-it's own `alerts` option) or as fenced divs
(`::: note`, `::: {.callout-warning title="Check the dates"}`, Quarto's spelling). Every kind
is labelled in words and with an icon, never by colour alone: handouts are printed in black
and white. Each becomes `<aside class="callout callout-KIND" role="note">`, in print and in
the ebook alike. A short one is marked `callout-short`, which the stylesheets keep on one page.

A teacher-only callout (`::: {.note .teacher}`) stays a teacher block (divs.py), so editions
drop it as they drop any; in teacher editions it is drawn as its kind, tagged for teachers.
"""

from __future__ import annotations

import re
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from build_report.errors import Diagnostic, did_you_mean
from build_report.markup.divs import attributes
from build_report.markup.trusted import hold
from build_report.project.languages import words_in

# The generated words of this module, looked up in one place (label catalogues, later).
# The kinds; the words printed for them are in the language catalogues (project/labels/*.toml:
# note, tip, ..., think_about_it, key_idea, and for_teachers for a teacher-only callout).
KINDS = (
    "note",
    "tip",
    "important",
    "warning",
    "caution",
    "activity",
    "vocabulary",
    "think-about-it",
    "key-idea",
)
SHORT_CHARS = 900  # about a third of a page of text: never split across pages

# 16x16 line icons drawn with the text colour: they print the same in black and white.
_PATHS = {
    "note": '<circle cx="8" cy="8" r="6.5"/><path d="M8 7.2v4.3M8 4.7v.1"/>',
    "tip": '<path d="M5.6 10.6A4.6 4.6 0 1 1 10.4 10.6V12H5.6z"/><path d="M6.2 14.3h3.6"/>',
    "important": '<path d="M2 2.5h12v8.5H7.2L4 14v-3H2z"/><path d="M8 4.8v3.3M8 9.6v.1"/>',
    "warning": '<path d="M8 1.8L15 14.2H1z"/><path d="M8 6.2v3.8M8 12v.1"/>',
    "caution": (
        '<path d="M5.2 1.4h5.6l3.8 3.8v5.6l-3.8 3.8H5.2l-3.8-3.8V5.2z"/>'
        '<path d="M8 4.6v4.2M8 11.2v.1"/>'
    ),
    "activity": '<path d="M2 14l1-3.8 8.2-8.2 2.8 2.8-8.2 8.2z"/><path d="M9.6 3.6l2.8 2.8"/>',
    "vocabulary": (
        '<path d="M8 4C6.4 2.8 4 2.5 1.5 3v10c2.5-.5 4.9-.2 6.5 1 1.6-1.2 4-1.5 6.5-1V3'
        'C12 2.5 9.6 2.8 8 4z"/><path d="M8 4v10"/>'
    ),
    "think-about-it": (
        '<circle cx="8" cy="8" r="6.5"/>'
        '<path d="M6 6.3a2 2 0 1 1 2.8 1.8c-.5.3-.8.7-.8 1.3v.4M8 11.6v.1"/>'
    ),
    "key-idea": '<circle cx="5" cy="8" r="3"/><path d="M8 8h6.5M12.2 8v2.6M14.5 8v2"/>',
}


def icon(kind: str) -> str:
    """The kind's icon as inline SVG, hidden from screen readers (the word says it)."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" class="callout-icon" viewBox="0 0 16 16" '
        'width="16" height="16" fill="none" stroke="currentColor" stroke-width="1.5" '
        f'stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">{_PATHS[kind]}</svg>'
    )


def callout_kind(classes: list[str]) -> tuple[str | None, str]:
    """(kind, unknown name) for a div's classes: `note`, `callout-note` or `callout` (a note);
    `callout-foo` gives (note, "foo"): it is drawn as a note, and `check` warns."""
    for name in classes:
        lowered = name.lower()
        if lowered in KINDS:
            return lowered, ""
        if lowered.startswith("callout-"):
            kind = lowered.removeprefix("callout-")
            return (kind, "") if kind in KINDS else ("note", kind)
    if any(name.lower() == "callout" for name in classes):
        return "note", ""
    return None, ""


def _classes(attrs: str) -> list[str]:
    return " ".join(v for k, v in attributes(attrs) if k == "class").split()


def _mark(token: Token, kind: str, unknown: str, title: str, extra: list[str]) -> None:
    token.meta = {
        **(token.meta or {}),
        "callout": kind,
        "unknown": unknown,
        "title": title,
        "classes": extra,
    }


def _callouts(state: StateCore) -> None:
    """Alerts and callout divs -> `callout_open`/`_close` tokens (teacher blocks keep their
    type, with the callout noted in their meta); each is measured to mark the short ones."""
    tokens: list[Token] = []
    divs: list[int | None] = []  # for each open div or alert: its index in tokens if a callout
    teachers: list[int | None] = []
    skip = 0
    for i, token in enumerate(state.tokens):
        if skip:
            skip -= 1
            continue
        if token.type == "alert_open":
            token.type, token.tag = "callout_open", "aside"
            _mark(token, str(token.meta.get("kind", "note")).lower(), "", "", [])
            token.attrs.pop("class", None)
            divs.append(len(tokens))
            after = state.tokens[i + 1 : i + 4]
            if after and after[0].type == "alert_title_open":
                skip = 3  # the title paragraph: the callout prints its own, in words
        elif token.type in ("div_open", "container_teacher_open"):
            teacher = token.type == "container_teacher_open"
            names = _classes(token.info) if teacher else str(token.attrGet("class") or "").split()
            if teacher and token.info and not token.info.startswith("{") and "." not in token.info:
                names = token.info.split()
            kind, unknown = callout_kind(names)
            stack = teachers if teacher else divs
            if kind is None:
                stack.append(None)
            else:
                ours = {kind, f"callout-{kind}", "callout", "teacher", f"callout-{unknown}"}
                extra = [n for n in names if n.lower() not in ours]
                _mark(token, kind, unknown, str(token.attrGet("data-title") or ""), extra)
                if teacher:
                    token.meta["title"] = dict(attributes(token.info)).get("data-title", "")
                else:
                    token.type, token.tag = "callout_open", "aside"
                    token.attrs = {k: v for k, v in token.attrs.items() if k == "id"}
                stack.append(len(tokens))
        elif token.type in ("alert_close", "div_close", "container_teacher_close"):
            stack = teachers if token.type == "container_teacher_close" else divs
            start = stack.pop() if stack else None
            if start is not None:
                opening = tokens[start]
                size = sum(len(t.content) for t in tokens[start:])
                opening.meta["short"] = size <= SHORT_CHARS
                token.meta = {**(token.meta or {}), "callout": opening.meta["callout"]}
                if token.type != "container_teacher_close":
                    token.type, token.tag = "callout_close", "aside"
        tokens.append(token)
    state.tokens = tokens


def callouts_plugin(md: MarkdownIt) -> None:
    md.core.ruler.after("pair_divs", "callouts", _callouts)


def render_open(self, tokens: list[Token], idx: int, options, env: Any) -> str:
    meta = tokens[idx].meta
    kind = meta["callout"]
    classes = ["callout", f"callout-{kind}", *meta.get("classes", [])]
    if meta.get("short"):
        classes.append("callout-short")
    teacher = tokens[idx].type == "container_teacher_open"
    if teacher:
        classes.append("callout-teacher")
    ident = tokens[idx].attrGet("id")
    where = f' id="{escapeHtml(str(ident))}"' if ident else ""
    title = meta.get("title") or ""
    heading = f'<span class="callout-heading">{escapeHtml(title)}</span>' if title else ""
    words = words_in(env)
    tag = f'<span class="callout-tag">{words("for_teachers")}</span>' if teacher else ""
    return (
        f'<aside class="{escapeHtml(" ".join(classes))}" role="note"{where}>\n'
        f'<p class="callout-title">{hold(env, icon(kind))}'
        f'<span class="callout-kind">{words(kind.replace("-", "_"))}</span>{heading}{tag}</p>\n'
    )


def render_close(self, tokens: list[Token], idx: int, options, env: Any) -> str:
    return "</aside>\n"


UNKNOWN_ALERT = re.compile(r"^\[!([A-Za-z-]+)\]")


def callout_findings(source: str, tokens: list[Token], body_line: int) -> list[Diagnostic]:
    """Unknown kinds: `::: {.callout-foo}` (drawn as a note) and `> [!FOO]` (left a quote)."""
    found = []
    line = None
    quote = False
    for token in tokens:
        if token.map:
            line = body_line + token.map[0]
        unknown = (token.meta or {}).get("unknown") if token.meta else None
        if unknown:
            found.append(_unknown(source, line, unknown, "it is drawn as a note"))
        if token.type == "blockquote_open":
            quote = True
        elif quote and token.type == "inline":
            match = UNKNOWN_ALERT.match(token.content)
            if match and match.group(1).lower() not in KINDS:
                found.append(_unknown(source, line, match.group(1), "it is left a quotation"))
            quote = False
        elif token.type != "paragraph_open":
            quote = False
    return found


def _unknown(source: str, line: int | None, name: str, shown: str) -> Diagnostic:
    hint = did_you_mean(name.lower(), list(KINDS)).replace("known keys", "the kinds are")
    message = f"unknown callout kind '{name}': {shown}; {hint}"
    return Diagnostic(source, line, None, "warning", message, kind="unknown callout kinds")
