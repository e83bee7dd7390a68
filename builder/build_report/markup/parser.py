"""The one Markdown dialect, parsed once per chapter into tokens that every target renders."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from build_report.markup.divs import attributes, divs_plugin
from build_report.markup.pullquotes import pullquotes_plugin
from build_report.markup.slugs import heading_slug

TEACHER = "teacher"  # `::: teacher` ... `:::` blocks: kept only in teacher editions


@cache
def parser() -> MarkdownIt:
    """The Markdown people bring: CommonMark; GitHub's tables, strikethrough, task lists,
    alerts (`> [!NOTE]`) and bare links; pandoc's footnotes (inline ones too), attributes,
    fenced divs, bracketed spans (`[text]{#id .class}`), definition lists, and H~2~O / x^2^
    (so a single tilde is a subscript, as in pandoc, not GitHub's rare single-tilde
    strikethrough); typographic quotes and dashes.
    How each target renders it is renderer.py's business."""
    from markdown_it.rules_block import reference
    from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
    from mdit_py_plugins.deflist import deflist_plugin
    from mdit_py_plugins.footnote import footnote_plugin
    from mdit_py_plugins.gfm_autolink import gfm_autolink_plugin
    from mdit_py_plugins.subscript import sub_plugin
    from mdit_py_plugins.superscript import superscript_plugin

    from build_report.markup.citations import citations_plugin
    from build_report.markup.rich import rich_plugin
    from build_report.markup.typography import smartquotes_plugin

    options = {"typographer": True, "html": True, "tasklists": True, "alerts": True}
    md = MarkdownIt("commonmark", options)
    md.enable(["replacements", "smartquotes", "table", "strikethrough"])
    md.use(gfm_autolink_plugin).use(sub_plugin).use(superscript_plugin)
    md.use(smartquotes_plugin)  # the same quotes in linear time
    md.use(footnote_plugin).use(attrs_plugin, spans=True).use(attrs_block_plugin)
    md.use(deflist_plugin)
    md.use(divs_plugin).use(pullquotes_plugin)
    md.use(rich_plugin)  # callouts, math, equation references (markup/rich.py)
    md.use(citations_plugin)  # [@key], @fig-x: read as citations or cross-references later
    md.core.ruler.before("footnote_tail", "teacher_footnotes", _teacher_footnotes)
    md.block.ruler.at("reference", _noting_teacher_references(reference))
    md.validateLink = _valid_link
    md.core.ruler.at("inline", _inline)
    md.core.ruler.before("inline", "pandoc_sizes", _pandoc_sizes)
    return md


BAD_PROTOCOLS = re.compile(r"^(vbscript|javascript|data):", re.IGNORECASE)
GOOD_DATA = re.compile(r"^data:image/(gif|png|jpeg|webp);", re.IGNORECASE)


def _valid_link(url: str) -> bool:
    """markdown-it's check, except that `file:` URLs are parsed as links and images, so the
    resolver can refuse them with an error naming the chapter (markdown-it would leave the
    Markdown as text, and the build would pass in silence)."""
    url = url.strip().lower()
    return not BAD_PROTOCOLS.match(url) or bool(GOOD_DATA.match(url))


def _noting_teacher_references(original):
    """markdown-it's link reference definitions (`[label]: url`), noting the labels defined
    inside `::: teacher` blocks: they are global to the chapter once defined."""

    def rule(state, start: int, end: int, silent: bool) -> bool:
        before = set(state.env.get("references", {}))
        found = original(state, start, end, silent)
        if found and not silent and state.env.get("teacher_depth"):
            added = set(state.env.get("references", {})) - before
            state.env.setdefault("teacher_references", set()).update(added)
        return found

    return rule


IMAGE_ATTRIBUTES = re.compile(r"(\]\([^()\s]*(?:\s+\"[^\"]*\")?\))\{([^{}]*)\}")
UNQUOTED_SIZE = re.compile(r"\b(width|height)=([0-9.]+%)")


def _pandoc_sizes(state) -> None:
    """`![x](a.png){width=50%}` as pandoc and Quarto write it: the attributes plugin takes
    only quoted values with `%`, so quote them (never inside code spans)."""
    for token in state.tokens:
        if token.type == "inline" and "%" in token.content:
            parts = re.split(r"(`+.*?`+)", token.content, flags=re.DOTALL)
            token.content = "".join(
                part if part.startswith("`") else IMAGE_ATTRIBUTES.sub(_quote_sizes, part)
                for part in parts
            )


def _quote_sizes(found: re.Match) -> str:
    return found.group(1) + "{" + UNQUOTED_SIZE.sub(r'\1="\2"', found.group(2)) + "}"


def _inline(state) -> None:
    """markdown-it's inline rule, except that text outside teacher blocks cannot use a link
    reference defined inside one: `[answer][key]` in student text would otherwise carry the
    teacher's URL and title into the student edition."""
    references = state.env.get("references", {})
    secret = state.env.get("teacher_references", set())
    public = {k: v for k, v in references.items() if k not in secret}
    depth = 0
    for token in state.tokens:
        if token.type == f"container_{TEACHER}_open":
            depth += 1
        elif token.type == f"container_{TEACHER}_close":
            depth -= 1
        elif token.type == "inline":
            state.env["references"] = references if depth else public
            if token.children is None:
                token.children = []
            state.md.inline.parse(token.content, state.md, state.env, token.children)
    state.env["references"] = references


def _teacher_footnotes(state) -> None:
    """Note which footnote definitions stand inside `::: teacher` blocks, before the footnote
    plugin lifts every definition out to the end of the chapter (after which nobody can tell).
    A student edition drops those notes even where plain text calls them."""
    depth = 0
    labels: set[str] = set()
    for token in state.tokens:
        if token.type == f"container_{TEACHER}_open":
            depth += 1
        elif token.type == f"container_{TEACHER}_close":
            depth -= 1
        elif depth and token.type == "footnote_reference_open":
            labels.add(token.meta["label"])
    if labels:
        state.env["teacher_footnotes"] = labels


def heading_id(chapter_slug: str, name: str) -> str:
    """A heading's id in the documents: prefixed by its chapter, so it is unique in the book."""
    return f"{chapter_slug}--{name}"


HEADING_ATTRIBUTES = re.compile(r"[ \t]+\{([^{}]*)\}[ \t]*$")


def parse(text: str, chapter_slug: str, language: str = "") -> tuple[list[Token], dict[str, Any]]:
    """Parse once; give every heading a stable id, prefixed by the chapter to be book-unique.

    Ids are GitHub's (a repeat gets -1, -2, ...), or the author's own `{#id}`, written after
    the heading text as pandoc, kramdown and Hugo allow. Quotes follow `language`.
    """
    env: dict[str, Any] = {"language": language} if language else {}
    tokens = parser().parse(text, env)
    seen: set[str] = set()
    for i, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        _heading_attributes(token, tokens[i + 1])
        given = token.attrGet("id")
        base = str(given) if given else heading_slug(plain_text(tokens[i + 1])) or "section"
        ident, n = heading_id(chapter_slug, base), 0
        while ident in seen:
            n += 1
            ident = heading_id(chapter_slug, f"{base}-{n}")
        seen.add(ident)
        token.attrSet("id", ident)
    return tokens, env


def emojized(text: str) -> str:
    """Text with GitHub's `:shortcode:` emoji as the characters GitHub shows (`:rocket:` ->
    🚀); a name GitHub does not know (`:octocat:`, its own picture) and times (10:30:45) stay
    as written. Every output has a face for them: each font chain ends with Noto Emoji
    (styles/tokens.css)."""
    if ":" not in text:
        return text
    import emoji

    return emoji.emojize(text, language="alias")


def plain_text(inline: Token) -> str:
    """What a reader sees of an inline token: its text and code, without the markup (and
    the shortcodes as typed: heading ids are GitHub's, made from them)."""
    return "".join(
        child.content for child in inline.children or [] if child.type in ("text", "code_inline")
    )


def _heading_attributes(heading: Token, inline: Token) -> None:
    """`## Title {#id .class}`: the attributes go on the heading, and out of its text."""
    children = inline.children or []
    last = children[-1] if children else None
    found = HEADING_ATTRIBUTES.search(last.content) if last and last.type == "text" else None
    if not found:
        return
    last.content = last.content[: found.start()]
    inline.content = HEADING_ATTRIBUTES.sub("", inline.content)
    given = attributes(found.group(1))
    if "-" in found.group(1).split():  # pandoc's shorthand for {.unnumbered}
        given.append(("class", "unnumbered"))
    for key, value in given:
        if key == "class" and heading.attrGet("class"):
            value = f"{heading.attrGet('class')} {value}"
        heading.attrSet(key, value)


def shown_text(inline: Token) -> str:
    """plain_text as a reader sees it: the shortcodes as emoji (emojized), code as typed."""
    return "".join(
        emojized(child.content) if child.type == "text" else child.content
        for child in inline.children or []
        if child.type in ("text", "code_inline")
    )


def headings(tokens: list[Token], level: int = 2) -> list[tuple[str, str]]:
    """(id, shown text) of the chapter's headings at one level, for tables of contents.

    A heading with nothing to show (`## ` alone, or only `<a id="x"></a>`, kept in READMEs
    as a link target) is left out: a contents entry without text is invalid in the EPUB
    nav (EPUBCheck RSC-005) and useless anywhere. `check` warns about it."""
    found = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == f"h{level}":
            shown = heading_text(tokens[i + 1])
            if shown:
                found.append((str(token.attrGet("id")), shown))
    return found


def heading_text(inline: Token) -> str:
    """A heading's words as a contents entry shows them: its text and code, and the
    description of an image standing in for words (`## ![Logo](logo.png)`)."""
    parts = []
    for child in inline.children or []:
        if child.type == "text":
            parts.append(emojized(child.content))
        elif child.type == "code_inline":
            parts.append(child.content)
        elif child.type == "image":
            parts.append(plain_text(child))
    return " ".join("".join(parts).split())


def body_tokens(tokens: list[Token]) -> list[Token]:
    """The chapter text without the footnote block that the plugin appends."""
    for i, token in enumerate(tokens):
        if token.type == "footnote_block_open":
            return tokens[:i]
    return tokens


def footnote_tokens(tokens: list[Token], env: dict[str, Any]) -> dict[int, list[Token]]:
    """Each footnote's content (without the back-reference arrow), by footnote number - 1;
    inline `^[...]` notes as one inline token."""
    inner: dict[int, list[Token]] = {}
    current: int | None = None
    for token in tokens:
        if token.type == "footnote_open":
            current = token.meta["id"]
            inner[current] = []
        elif token.type == "footnote_close":
            current = None
        elif current is not None and token.type != "footnote_anchor":
            inner[current].append(token)
    for ident, note in env.get("footnotes", {}).get("list", {}).items():
        if ident not in inner and "tokens" in note:
            inline = Token("inline", "", 0, children=note["tokens"], content=note["content"])
            inner[ident] = [
                Token("paragraph_open", "p", 1),
                inline,
                Token("paragraph_close", "p", -1),
            ]
    return inner


def without_teacher_blocks(tokens: list[Token], env: dict[str, Any]) -> list[Token]:
    """The student edition: every `::: teacher` block removed, nested ones included, and every
    call of a footnote defined inside one (the renderer then leaves the note out, as it does
    any note nobody calls). Tokens are shared with the teacher edition, so changed ones are
    copies."""
    secret = env.get("teacher_footnotes", set())
    out: list[Token] = []
    depth = 0
    for token in tokens:
        if token.type == f"container_{TEACHER}_open":
            depth += 1
        elif token.type == f"container_{TEACHER}_close":
            depth -= 1
        elif depth == 0:
            out.append(_without_calls(token, secret) if secret else token)
    return out


def _without_calls(token: Token, labels: set[str]) -> Token:
    children = token.children or []
    kept = [c for c in children if not (c.type == "footnote_ref" and c.meta.get("label") in labels)]
    if len(kept) == len(children):
        return token
    return token.copy(children=kept)


def has_raw_html(tokens: list[Token]) -> bool:
    """Whether the chapter holds raw HTML (which must be balanced before it is sanitized)."""
    return any(t.type in ("html_block", "html_inline") for t in tokens) or any(
        c.type == "html_inline" for t in tokens for c in t.children or []
    )
