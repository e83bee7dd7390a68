"""Fenced divs as pandoc, Quarto and MyST authors write them: `::: name` or `::: {.class #id}`
opens, a bare `:::` closes, and divs nest however many colons each fence has.

markdown-it's container plugin closes a block at the first `:::` it meets, so in
`::: teacher` ... `::: note` ... `:::` ... `:::` the teacher's last paragraph would fall out of
the block, into the student edition. Here the closing fence is found by counting the fences
that open and close in between (fences inside code blocks do not count).

A `teacher` div becomes `container_teacher_open`/`_close` tokens (editions drop them); any
other div becomes `<div class="...">`.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock

OPEN = re.compile(r"^(:{3,})[ \t]*(?:\{([^}]*)\}|([\w-]+)(?:[ \t]*\{([^}]*)\})?)[ \t]*:*[ \t]*$")
CLOSE = re.compile(r"^:{3,}[ \t]*$")
CODE_FENCE = re.compile(r"^(`{3,}|~{3,})")
ATTRIBUTE = re.compile(r"""([.#])([\w-]+)|([\w-]+)=("[^"]*"|'[^']*'|\S+)""")


def attributes(text: str) -> list[tuple[str, str]]:
    """`.a .b #x key=v` -> [("class", "a b"), ("id", "x"), ("data-key", "v")]."""
    classes, found = [], []
    for sign, name, key, value in ATTRIBUTE.findall(text or ""):
        if sign == ".":
            classes.append(name)
        elif sign == "#":
            found.append(("id", name))
        else:
            found.append((f"data-{key}", value.strip("\"'")))
    return ([("class", " ".join(classes))] if classes else []) + found


def _is_teacher(name: str | None, braced: str | None) -> bool:
    """`::: teacher`, `::: Teacher`, `::: {.teacher}`: spelled any way, it is teacher material
    (mistaking it for a plain div would show it to students)."""
    classes = [value for key, value in attributes(braced or "") if key == "class"]
    names = [name or "", *" ".join(classes).split()]
    return any(n.lower() == "teacher" for n in names)


def _line(state: StateBlock, number: int) -> str:
    return state.src[state.bMarks[number] + state.tShift[number] : state.eMarks[number]]


def _closing_line(state: StateBlock, start: int, end: int) -> tuple[int, bool]:
    """The line of the fence that closes the div opened at `start`, and whether there is one
    (an unclosed div runs to the end of its parent block)."""
    depth, fence = 1, ""
    for number in range(start + 1, end):
        if state.sCount[number] < state.blkIndent and state.bMarks[number] < state.eMarks[number]:
            return number, False  # the parent block (a list item, a quote) ended
        if state.sCount[number] - state.blkIndent >= 4:
            continue
        text = _line(state, number)
        code = CODE_FENCE.match(text)
        if fence:
            if code and code.group(1)[0] == fence[0] and len(code.group(1)) >= len(fence):
                fence = ""
            continue
        if code:
            fence = code.group(1)
        elif OPEN.match(text):
            depth += 1
        elif CLOSE.match(text):
            depth -= 1
            if depth == 0:
                return number, True
    return end, False


def _div(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    found = OPEN.match(_line(state, start))
    if not found:
        return False
    if silent:
        return True
    _, braced, name, extra = found.groups()
    close, closed = _closing_line(state, start, end)
    kind = "container_teacher" if _is_teacher(name, braced or extra) else "div"
    attrs = attributes(braced or extra or "")
    if name and kind == "div":
        attrs = [("class", " ".join(filter(None, [name, dict(attrs).get("class")])))] + [
            a for a in attrs if a[0] != "class"
        ]
    old_parent, old_max = state.parentType, state.lineMax
    state.parentType = "div"  # type: ignore[assignment] - markdown-it allows any name
    state.lineMax = close
    token = state.push(f"{kind}_open", "div", 1)
    token.block, token.markup, token.info = True, found.group(1), name or braced or ""
    token.map = [start, close]
    for key, value in attrs if kind == "div" else []:
        token.attrSet(key, value)
    teacher = kind == "container_teacher"
    state.env["teacher_depth"] = state.env.get("teacher_depth", 0) + teacher
    state.md.block.tokenize(state, start + 1, close)
    state.env["teacher_depth"] -= teacher
    token = state.push(f"{kind}_close", "div", -1)
    token.block, token.markup = True, found.group(1)
    state.parentType, state.lineMax = old_parent, old_max
    state.line = close + 1 if closed else close
    return True


def divs_plugin(md: MarkdownIt) -> None:
    md.block.ruler.before(
        "fence", "fenced_div", _div, {"alt": ["paragraph", "reference", "blockquote", "list"]}
    )
