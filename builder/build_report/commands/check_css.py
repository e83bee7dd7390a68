"""`check` on stylesheets: references that would not load, syntax errors, and properties
WeasyPrint does not know (it would ignore them)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from build_report.commands.css_names import KNOWN_PROPERTIES
from build_report.errors import Diagnostic
from build_report.markup.references import css_references, css_target, inside_project


def check_stylesheet(root: Path, css: str, engine: bool = True) -> list[Diagnostic]:
    """Syntax errors and properties WeasyPrint does not know (it would ignore them)."""
    import tinycss2

    path = root / css
    if not path.is_file():
        return [Diagnostic(css, None, None, "error", "stylesheet not found")]
    found = []
    for ref in css_references(root, css):
        problem = _reference_problem(root, ref)
        if problem:
            found.append(Diagnostic(ref.source, ref.line, None, "error", problem))
    if not engine:
        return found
    sheets = [css] + [css_target(r) for r in css_references(root, css) if r.target.endswith(".css")]
    for sheet in dict.fromkeys(sheets):
        file = root / sheet
        if not inside_project(root, file) or not file.is_file():
            continue
        rules = tinycss2.parse_stylesheet(
            file.read_text("utf-8", errors="replace"), skip_comments=True, skip_whitespace=True
        )
        found += _check_rules(sheet, rules)
    return found


def _reference_problem(root: Path, ref) -> str | None:
    """Why a stylesheet's url() or @import would not load in a build, or None."""
    scheme = urlsplit(ref.target).scheme
    if scheme in ("http", "https"):
        return f"{ref.target} is on the network, which builds do not load"
    if scheme:
        return None
    target = root / css_target(ref)
    if not inside_project(root, target):
        return f"{ref.target} is outside the project folder, which builds do not load"
    if not target.is_file():
        return f"{ref.target} not found"
    return None


def _check_rules(sheet: str, rules) -> list[Diagnostic]:
    import tinycss2

    found = []
    for rule in rules:
        if rule.type == "error":
            found.append(_css_warning(sheet, rule, f"CSS syntax error: {rule.message}"))
            continue
        if rule.type == "at-rule" and rule.lower_at_keyword in ("font-face", "import"):
            continue
        if rule.content is None:
            continue
        if rule.type == "at-rule" and rule.lower_at_keyword in ("media", "supports"):
            found += _check_rules(sheet, tinycss2.parse_rule_list(rule.content, True, True))
            continue
        for item in tinycss2.parse_blocks_contents(rule.content, True, True):
            if item.type == "at-rule" and item.content is not None:  # @top-left etc.
                found += _check_declarations(sheet, item.content)
            elif item.type == "declaration":
                found += _check_declarations(sheet, None, [item])
            elif item.type == "error":
                found.append(_css_warning(sheet, item, f"CSS syntax error: {item.message}"))
    return found


def _css_warning(sheet: str, node, message: str) -> Diagnostic:
    return Diagnostic(sheet, node.source_line, node.source_column, "warning", message)


def _check_declarations(sheet: str, content, items=None) -> list[Diagnostic]:
    import tinycss2

    if items is None:
        items = tinycss2.parse_blocks_contents(content, True, True)
    found = []
    for item in items:
        if item.type != "declaration":
            continue
        name = item.lower_name
        if name.startswith("--") or name.removeprefix("-weasy-") in KNOWN_PROPERTIES:
            continue
        found.append(
            _css_warning(sheet, item, f"unknown property '{item.name}': WeasyPrint ignores it")
        )
    return found
