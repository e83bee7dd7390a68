"""Code blocks: Pygments highlighting as spans with short classes (`k` keyword, `c` comment,
`s` string, `nf` function name ...), which the stylesheets draw: print by weight and italics
(greyscale-safe), screens in light and dark colours.

Each source line is a block of its own with a hanging indent, so a line too long for the
measure wraps to its own indentation plus four columns, after a continuation mark drawn by
the stylesheet (`.code-wrap`), instead of restarting at column 0. Line numbers are asked for
with a fence attribute, as in pandoc: ```` ```python {.numberLines startFrom=10} ````
(`.number-lines`, `.line-numbers` and `start=` are read too). A block of a few lines is
marked `code-short` and kept on one page; a longer one splits between its lines.
"""

from __future__ import annotations

import html
import re
from typing import Any

from markdown_it.token import Token

from build_report.markup.divs import attributes
from build_report.markup.trusted import hold

SHORT_LINES = 12  # a block this short is never split across pages
HANGING = 4  # columns a wrapped line is indented by, beyond its own indentation
MAX_INDENT = 24  # deeper indentation wraps no further in: the measure must keep some text
MAY_WRAP = 40  # shorter lines fit every measure: no continuation mark needed
WRAP_MARK = "\u21aa"  # rightwards arrow with hook, drawn in Inter (the mono font lacks it)
NUMBERED = {"numberlines", "number-lines", "line-numbers", "linenos"}
INFO = re.compile(r"^\s*([^\s{]*)\s*(?:\{([^}]*)\})?")


def fence_options(info: str) -> tuple[str, bool, int]:
    """(language, numbered, first number) from a fence's info string."""
    found = INFO.match(info or "")
    language = found.group(1) if found else ""
    numbered, start = False, 1
    for key, value in attributes(found.group(2) if found else ""):
        if key == "class":
            for name in value.split():
                if name.lower() in NUMBERED:
                    numbered = True
                elif not language:
                    language = name
        elif key.lower() in ("data-startfrom", "data-start") and value.isdigit():
            numbered, start = True, int(value)
    return language, numbered, start


def _lexer(language: str):
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    if not language:
        return None
    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def _classes() -> dict[Any, str]:
    from pygments.token import (
        Comment,
        Error,
        Generic,
        Keyword,
        Name,
        Number,
        Operator,
        String,
    )

    return {
        Keyword: "k",
        Keyword.Constant: "kc",
        Keyword.Type: "kt",
        Name.Function: "nf",
        Name.Class: "nc",
        Name.Builtin: "nb",
        Name.Decorator: "nd",
        Name.Tag: "nt",
        Name.Attribute: "na",
        Name.Variable: "nv",
        Name.Exception: "ne",
        String: "s",
        String.Escape: "se",
        String.Doc: "sd",
        Number: "m",
        Comment: "c",
        Comment.Preproc: "cp",
        Operator: "o",
        Operator.Word: "ow",
        Generic.Deleted: "gd",
        Generic.Inserted: "gi",
        Generic.Heading: "gh",
        Generic.Subheading: "gu",
        Generic.Prompt: "gp",
        Generic.Output: "go",
        Generic.Emph: "ge",
        Generic.Strong: "gs",
        Generic.Error: "gr",
        Error: "err",
    }


def _class(ttype, classes: dict[Any, str]) -> str:
    while ttype is not None:
        if ttype in classes:
            return classes[ttype]
        ttype = ttype.parent
    return ""


def highlighted_lines(code: str, language: str) -> list[str]:
    """The code as HTML, one string per source line (spans with classes, text escaped)."""
    lexer = _lexer(language)
    if lexer is None:
        return [html.escape(line, quote=False) for line in code.split("\n")]
    classes = _classes()
    lines: list[str] = [""]
    for ttype, text in lexer.get_tokens(code):
        name = _class(ttype, classes)
        for n, part in enumerate(text.split("\n")):
            if n:
                lines.append("")
            if part:
                escaped = html.escape(part, quote=False)
                lines[-1] += f'<span class="{name}">{escaped}</span>' if name else escaped
    return lines


def code_html(code: str, info: str, in_note: bool = False) -> str:
    """A whole code block, as the renderers print it. In a print footnote it is spans drawn
    as blocks, as every block of a note is (renderer.print_note: a <pre> inside the note's
    span would end the paragraph that calls it)."""
    language, numbered, start = fence_options(info)
    source = code[:-1] if code.endswith("\n") else code
    plain = source.split("\n")
    lines = highlighted_lines(source, language)
    width = len(str(start + len(plain) - 1))
    out = []
    for n, (text, shown) in enumerate(zip(plain, lines, strict=False)):
        indent = min(len(text) - len(text.lstrip(" \t")), MAX_INDENT)
        hang = indent + HANGING
        number = (
            f'<span class="code-ln" aria-hidden="true">{start + n:>{width}}</span>'
            if numbered
            else ""
        )
        marks = "&#10;".join(WRAP_MARK * min(len(text) // MAY_WRAP, 12))  # enough for the
        wrap = (  # narrowest measure, few to spare: a clipped mark is still text in the PDF
            f'<span class="code-wrap" style="left:{indent + 1}ch" data-marks="{marks}" '
            'aria-hidden="true"></span>'
            if len(text) > MAY_WRAP
            else ""
        )
        out.append(
            f'<span class="code-line" style="padding-left:{hang}ch;text-indent:-{hang}ch">'
            f"{number}{wrap}{shown}</span>"
        )
    classes = ["code"]
    if language:
        classes.append(f"code-{re.sub(r'[^A-Za-z0-9_-]', '', language)}")
    if len(plain) <= SHORT_LINES:
        classes.append("code-short")
    if numbered:
        classes.append(f"code-numbered code-gutter-{width}")
    lang = f' class="language-{html.escape(language)}"' if language else ""
    if in_note:
        classes = ["footnote-block", "footnote-pre", *classes]
        return f'<span class="{" ".join(classes)}"><code{lang}>{"".join(out)}</code></span>'
    return f'<pre class="{" ".join(classes)}"><code{lang}>{"".join(out)}</code></pre>\n'


def render_fence(self, tokens: list[Token], idx: int, options, env: Any) -> str:
    token = tokens[idx]
    info = token.info if token.type == "fence" else ""
    in_note = bool(env.get("_render", {}).get("in_note")) if isinstance(env, dict) else False
    return hold(env, code_html(token.content, info, in_note)) or (
        f"<pre><code>{html.escape(token.content, quote=False)}</code></pre>\n"
    )
