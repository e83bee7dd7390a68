"""Fenced divs as pandoc, Quarto and MyST authors write them: `::: name` or `::: {.class #id}`
opens, a bare `:::` closes the innermost open div, and divs nest whatever the number of colons.

Each fence line is a token of its own, found by markdown-it's block parser like any block, so a
`:::` inside fenced code, an HTML comment, `<pre>` or any other block is never a fence. A core
rule then pairs the fences by nesting, within the block (list item, quote) that holds them: a
div left open closes where its block ends, or at the end of the chapter.

(markdown-it's container plugin scanned lines itself: it closed `::: teacher` at an inner
div's `:::`, and a scan that knows code fences still counts a `:::` inside `<!-- -->`; either
way the rest of the teacher's block fell into the student edition.)

A `teacher` div becomes `container_teacher_open`/`_close` tokens (editions drop them); any
other div becomes `<div class="...">`.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

OPEN = re.compile(r"^(:{3,})[ \t]*(?:\{([^}]*)\}|([\w-]+)(?:[ \t]*\{([^}]*)\})?)[ \t]*:*[ \t]*$")
CLOSE = re.compile(r"^:{3,}[ \t]*$")
ATTRIBUTE = re.compile(r"""([.#])([\w-]+)|([\w-]+)=("[^"]*"|'[^']*'|\S+)""")
FENCE = "div_fence"


def attributes(text: str) -> list[tuple[str, str]]:
    """`.a .b #x key=v` -> [("class", "a b"), ("id", "x"), ("data-key", "v")]; `lang` and
    `dir` stay themselves, so `::: {lang=ar dir=rtl}` sets a block's language and direction."""
    classes, found = [], []
    for sign, name, key, value in ATTRIBUTE.findall(text or ""):
        if sign == ".":
            classes.append(name)
        elif sign == "#":
            found.append(("id", name))
        elif key in ("lang", "dir"):
            found.append((key, value.strip("\"'")))
        else:
            found.append((f"data-{key}", value.strip("\"'")))
    return ([("class", " ".join(classes))] if classes else []) + found


def _is_teacher(name: str | None, braced: str | None) -> bool:
    """`::: teacher`, `::: Teacher`, `::: {.teacher}`: spelled any way, it is teacher material
    (mistaking it for a plain div would show it to students)."""
    classes = [value for key, value in attributes(braced or "") if key == "class"]
    names = [name or "", *" ".join(classes).split()]
    return any(n.lower() == "teacher" for n in names)


def _fence(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """One fence line (`::: name`, `::: {attrs}` or a bare `:::`) as a token."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    line = state.src[state.bMarks[start] + state.tShift[start] : state.eMarks[start]]
    opening, closing = OPEN.match(line), CLOSE.match(line)
    if not (opening or closing):
        return False
    if silent:
        return True
    token = state.push(FENCE, "div", 0)
    token.block, token.map = True, [start, start + 1]
    stack = state.env.setdefault("div_stack", [])
    if opening:
        _, braced, name, extra = opening.groups()
        teacher = _is_teacher(name, braced or extra)
        token.markup = opening.group(1)
        token.meta = {
            "open": True,
            "name": name,
            "attrs": braced or extra or "",
            "teacher": teacher,
        }
        stack.append(teacher)
    else:
        token.markup = line.strip()
        token.meta = {"open": False}
        if stack:
            stack.pop()
    state.env["teacher_depth"] = sum(stack)  # read by the noting of link references
    state.line = start + 1
    return True


def _pair(state: StateCore) -> None:
    """Fence tokens -> div open/close tokens, paired by nesting inside their block."""
    out: list[Token] = []
    open_divs: list[Token] = []  # the opening fences not yet closed, innermost last
    for token in state.tokens:
        if token.type == FENCE and token.meta["open"]:
            opened = _opening(token)
            open_divs.append(opened)
            out.append(opened)
            continue
        if token.type == FENCE:
            if open_divs and open_divs[-1].level == token.level:
                out.append(_closing(open_divs.pop()))
            continue  # a stray `:::` (nothing open in its block) shows nothing
        while open_divs and token.nesting == -1 and token.level < open_divs[-1].level:
            out.append(_closing(open_divs.pop()))  # its list item or quote ended first
        out.append(token)
    while open_divs:
        out.append(_closing(open_divs.pop()))
    state.tokens = out
    state.env.pop("div_stack", None)
    state.env.pop("teacher_depth", None)


def _opening(fence: Token) -> Token:
    meta = fence.meta
    kind = "container_teacher" if meta["teacher"] else "div"
    token = Token(f"{kind}_open", "div", 1, map=fence.map, level=fence.level, block=True)
    token.markup, token.info = fence.markup, meta["name"] or meta["attrs"]
    if kind == "div":
        found = attributes(meta["attrs"])
        classes = " ".join(filter(None, [meta["name"], dict(found).get("class")]))
        for key, value in ([("class", classes)] if classes else []) + [
            a for a in found if a[0] != "class"
        ]:
            token.attrSet(key, value)
    return token


def _closing(opening: Token) -> Token:
    kind = opening.type.removesuffix("_open")
    return Token(f"{kind}_close", "div", -1, level=opening.level, block=True)


def divs_plugin(md: MarkdownIt) -> None:
    md.block.ruler.before(
        "fence", FENCE, _fence, {"alt": ["paragraph", "reference", "blockquote", "list"]}
    )
    md.core.ruler.after("block", "pair_divs", _pair)
