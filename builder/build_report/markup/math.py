"""Math: `$...$`, `$$...$$`, `\\(...\\)` and `\\[...\\]`, parsed before the typographer and
the Markdown escapes can touch them (the TeX is kept exactly as written).

Inline math follows pandoc's rule (mdit-py-plugins' dollarmath, configured so): no space
inside the dollars and no digit after the closing one, so "$5 and $10" stays money. A display
equation may carry attributes after its closing delimiter, `$$ A = \\pi r^2 $$ {#eq-area}`:
it is then numbered, and `@eq-area` refers to it (equations.py).

Print gets vector graphics (ziamath draws the TeX as SVG in pure Python: WeasyPrint has no
MathML), sized in em and lowered to sit on the text's baseline. The ebook gets MathML
(latex2mathml) with the TeX as `alttext`.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from build_report.errors import Diagnostic
from build_report.markup.divs import attributes
from build_report.markup.trusted import hold

PRINT_TARGET = "print"  # renderer.PRINT (not imported: the renderer imports this module)
SIZE = 10.0  # ziamath's font size; the SVG is then sized in em, so it follows the text
INLINE_TYPES = ("math_inline", "math_inline_double")
BLOCK_TYPES = ("math_block", "math_block_label")
CLOSERS = {
    "$$": re.compile(r"\$\$[ \t]*(?:\{([^{}]*)\})?[ \t]*$"),
    "\\[": re.compile(r"\\\][ \t]*(?:\{([^{}]*)\})?[ \t]*$"),
}


def math_plugin(md: MarkdownIt) -> None:
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    md.use(
        dollarmath_plugin,
        allow_labels=False,
        allow_space=False,
        allow_digits=False,
        allow_blank_lines=False,
        double_inline=True,
    )
    md.block.ruler.before(
        "math_block", "math_display", _display, {"alt": ["paragraph", "reference", "blockquote"]}
    )
    md.inline.ruler.before("math_inline", "math_brackets", _brackets)


def _line(state: StateBlock, n: int) -> str:
    return state.src[state.bMarks[n] + state.tShift[n] : state.eMarks[n]]


def _display(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """A display equation on its own lines, `$$`/`\\[` to `$$`/`\\]`, with optional
    `{#id .class}` after the closing delimiter (no blank line inside, as in pandoc)."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    first = _line(state, start)
    opener = first[:2]
    if opener not in CLOSERS:
        return False
    closer = CLOSERS[opener]
    rest = first[2:]
    found = closer.search(rest)
    if found and rest[: found.start()].strip():
        parts, last = [rest[: found.start()]], start
    else:
        if rest.strip():
            return False  # `$$x$$ and more`: inline math in a paragraph, not a display
        parts, last, found = [], start + 1, None
        while last < end:
            text = _line(state, last)
            if not text.strip() or state.sCount[last] < state.blkIndent:
                return False
            found = closer.search(text)
            if found:
                parts.append(text[: found.start()])
                break
            parts.append(text)
            last += 1
        if found is None:
            return False
    content = "\n".join(parts).strip()
    if not content:
        return False
    if silent:
        return True
    token = state.push("math_block", "math", 0)
    token.block, token.map, token.markup = True, [start, last + 1], opener
    token.content = content
    for key, value in attributes(found.group(1) or ""):
        token.attrSet(key, value)
    state.line = last + 1
    return True


def _brackets(state: StateInline, silent: bool) -> bool:
    """`\\(...\\)` inline, `\\[...\\]` as display math inside a paragraph."""
    src, pos = state.src, state.pos
    if src[pos] != "\\" or pos + 1 >= state.posMax or src[pos + 1] not in "([":
        return False
    close = "\\)" if src[pos + 1] == "(" else "\\]"
    end = src.find(close, pos + 2, state.posMax)
    if end < 0 or not src[pos + 2 : end].strip():
        return False
    if not silent:
        kind = "math_inline" if close == "\\)" else "math_inline_double"
        token = state.push(kind, "math", 0)
        token.content, token.markup = src[pos + 2 : end], src[pos : pos + 2]
    state.pos = end + 2
    return True


@lru_cache(maxsize=2048)
def svg_math(tex: str, display: bool) -> str:
    """The TeX as inline SVG, sized in em, its baseline on the text's baseline."""
    import ziamath

    ziamath.config.svg2 = False  # plain paths: no <symbol> ids shared between equations
    ziamath.config.precision = 2
    svg = ziamath.Latex(tex, size=SIZE, inline=not display, margin=0).svg()
    box = re.search(r'viewBox="([-\d. ]+)"', svg)
    if box is None:
        raise ValueError("ziamath drew no picture")
    _, top, width, height = (float(v) for v in box.group(1).split())
    depth = top + height  # below the baseline (y = 0 in ziamath's drawing)
    style = (
        f"width:{width / SIZE:.3f}em;height:{height / SIZE:.3f}em;"
        f"vertical-align:{-depth / SIZE:.3f}em"
    )
    label = html.escape(" ".join(tex.split()))
    head = svg[: svg.index(">")]
    head = re.sub(r'\s(width|height)="[^"]*"', "", head)
    return (
        f'{head} class="math-svg" style="{style}" role="img" aria-label="{label}"'
        + svg[svg.index(">") :]
    )


@lru_cache(maxsize=2048)
def mathml(tex: str, display: bool) -> str:
    """The TeX as MathML, with the TeX itself as its text alternative."""
    from latex2mathml.converter import convert

    out = convert(tex, display="block" if display else "inline")
    alt = html.escape(" ".join(tex.split()), quote=True)
    return out.replace("<math ", f'<math alttext="{alt}" ', 1)


def math_html(tex: str, display: bool, env: Any) -> str:
    """Math as the target shows it; the TeX in code type where it cannot be drawn (the
    error is reported by `check` and the builds, at its line)."""
    ctx = env.get("_render") if isinstance(env, dict) else None
    if ctx is None:
        return f'<code class="math-tex">{html.escape(tex)}</code>'
    try:
        drawn = svg_math(tex, display) if ctx["target"] == PRINT_TARGET else mathml(tex, display)
    except Exception:  # noqa: BLE001 - any failure of the TeX is the author's, reported
        return f'<code class="math-error">{html.escape(tex)}</code>'
    return hold(env, drawn)


def render_inline(self, tokens: list[Token], idx: int, options, env: Any) -> str:
    token = tokens[idx]
    if token.type == "math_inline_double":
        return f'<span class="math-display">{math_html(token.content, True, env)}</span>'
    return f'<span class="math math-inline">{math_html(token.content, False, env)}</span>'


def render_block(self, tokens: list[Token], idx: int, options, env: Any) -> str:
    from build_report.markup.equations import equation_label

    token = tokens[idx]
    ident = token.attrGet("id")
    ctx = env.get("_render") if isinstance(env, dict) else None
    number = (ctx or {}).get("equations", {}).get(str(ident)) if ident else None
    where = f' id="{html.escape(str(ident))}"' if ident else ""
    shown = f'<span class="eq-number">{equation_label(number)}</span>' if number else ""
    numbered = " math-numbered" if number else ""
    inner = math_html(token.content, True, env)
    return (
        f'<div class="math-display{numbered}"{where}><span class="math-body">{inner}</span>'
        f"{shown}</div>\n"
    )


def latex_problem(tex: str) -> tuple[str, str] | None:
    """(level, message) when the TeX cannot be drawn as written, else None."""
    from latex2mathml.converter import convert

    try:
        out = convert(tex)
    except Exception as exc:  # noqa: BLE001 - latex2mathml raises many kinds
        reason = re.sub(r"(?<!^)(?=[A-Z])", " ", type(exc).__name__).lower()
        reason = reason.removesuffix(" error")
        detail = f": {exc}" if str(exc) else ""
        return "error", f"LaTeX error ({reason}{detail}) in `{_short(tex)}`"
    unknown = re.search(r">(\\[A-Za-z]+)<", out)
    if unknown:
        return "warning", f"unknown LaTeX command {unknown.group(1)} in `{_short(tex)}`"
    return None


def _short(tex: str) -> str:
    flat = " ".join(tex.split())
    return flat if len(flat) <= 60 else flat[:57] + "..."


def math_findings(source: str, tokens: list[Token], body_line: int) -> list[Diagnostic]:
    """Every piece of math that cannot be drawn, at its line."""
    found = []
    line = None
    for token in tokens:
        if token.map:
            line = body_line + token.map[0]
        pieces = [token] if token.type in BLOCK_TYPES else []
        pieces += [c for c in token.children or [] if c.type in INLINE_TYPES]
        for piece in pieces:
            problem = latex_problem(piece.content)
            if problem:
                level, message = problem
                found.append(
                    Diagnostic(source, line, None, level, message, kind="math that cannot be drawn")
                )
    return found
