"""Rich blocks in one place: callouts, highlighted code, math and equation references.

The parser uses `rich_plugin`, the renderer `add_render_rules`, and `check` and the builds
`rich_findings`, so what a build draws and what `check` reports come from the same tokens.
"""

from __future__ import annotations

from markdown_it import MarkdownIt

from build_report.errors import Diagnostic
from build_report.markup import callouts, code, equations, math


def rich_plugin(md: MarkdownIt) -> None:
    """Parse rules (after the fenced divs, which callouts build on)."""
    callouts.callouts_plugin(md)
    math.math_plugin(md)
    equations.equations_plugin(md)


def add_render_rules(md: MarkdownIt) -> None:
    md.add_render_rule("fence", code.render_fence)
    md.add_render_rule("code_block", code.render_fence)
    md.add_render_rule("callout_open", callouts.render_open)
    md.add_render_rule("callout_close", callouts.render_close)
    for kind in math.INLINE_TYPES:
        md.add_render_rule(kind, math.render_inline)
    for kind in math.BLOCK_TYPES:
        md.add_render_rule(kind, math.render_block)
    md.add_render_rule(equations.REF_TYPE, equations.render_ref)


def rich_findings(chapters) -> list[Diagnostic]:
    """Unknown callout kinds (warnings), TeX that cannot be drawn, duplicate equation ids
    and references to missing equations (errors)."""
    found: list[Diagnostic] = []
    for chapter in chapters:
        tokens = list(chapter.tokens)
        found += callouts.callout_findings(chapter.source, tokens, chapter.body_line)
        found += math.math_findings(chapter.source, tokens, chapter.body_line)
    return found + equations.equation_findings(chapters)
