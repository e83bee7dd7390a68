"""`build-report check`: everything a build would check, without writing or laying out."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from build_report.project.config import Config, load_config
from build_report.project.chapters import CHAPTERS_DIR, chapter_files, chapter_slug, load_chapter
from build_report.commands.css_names import KNOWN_PROPERTIES
from build_report.errors import BuildError, Diagnostic
from build_report.markup.parser import image_src, slug_text
from build_report.project.model import Chapter
from build_report.markup.links import chapter_references, css_references, with_lines

UNDEFINED_NOTE = re.compile(r"\[\^([^\]\s]+)\]")
ID_ATTR = re.compile(r"""\bid\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)


def run_check(project: Path) -> list[Diagnostic]:
    """Collect every finding; config errors stop early (nothing else can be read without it)."""
    try:
        config = load_config(project)
    except BuildError as exc:
        return [Diagnostic(exc.path, exc.line, None, "error", f"{exc.what}; {exc.todo}")]
    found: list[Diagnostic] = []
    chapters: list[Chapter] = []
    try:
        paths = chapter_files(config)
    except BuildError as exc:
        return [Diagnostic(exc.path, exc.line, None, "error", f"{exc.what}; {exc.todo}")]
    for number, path in enumerate(paths, start=1):
        shown = f"{CHAPTERS_DIR}/{path.name}"
        try:
            chapters.append(load_chapter(path, number, chapter_slug(path), shown))
        except BuildError as exc:
            found.append(Diagnostic(exc.path, exc.line, None, "error", f"{exc.what}; {exc.todo}"))
    found += check_chapters(config, chapters)
    for css in dict.fromkeys([config.build.print_css, config.handout.css]):
        found += check_stylesheet(config.root, css)
    # The screen stylesheet is for browsers and e-readers, not WeasyPrint: references only.
    found += check_stylesheet(config.root, config.build.screen_css, engine=False)
    return sorted(set(found), key=Diagnostic.sort_key)


def _heading_ids(chapter: Chapter) -> set[str]:
    prefix = f"{chapter.slug}--"
    return {
        str(t.attrGet("id")).removeprefix(prefix)
        for t in chapter.tokens
        if t.type == "heading_open" and t.attrGet("id")
    }


def check_chapters(config: Config, chapters: list[Chapter]) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    by_name = {Path(ch.source).name: ch for ch in chapters}
    root = config.root
    for chapter in chapters:
        ids = _heading_ids(chapter)
        found += _headings(chapter)
        found += _footnotes(chapter)
        found += _duplicate_ids(chapter)
        for ref in chapter_references(chapter):
            found += _reference(ref, chapter, by_name, ids, root)
    return found


def _diag(chapter: Chapter, line: int | None, level: str, message: str) -> Diagnostic:
    return Diagnostic(chapter.source, line, None, level, message)


def _reference(ref, chapter: Chapter, by_name, ids, root: Path) -> list[Diagnostic]:
    target = ref.target
    parts = urlsplit(target)
    if parts.scheme in ("http", "https", "mailto") or target.startswith("data:"):
        if ref.kind == "image" and parts.scheme in ("http", "https"):
            return [
                _diag(
                    chapter,
                    ref.line,
                    "error",
                    f"image {target} is on the network, which builds do not load; "
                    "download it into the project",
                )
            ]
        return []
    if parts.scheme:
        return [
            _diag(
                chapter, ref.line, "error", f"{target}: the {parts.scheme}: scheme is not allowed"
            )
        ]
    path = unquote(parts.path)
    if ref.kind == "image":
        if not path:
            return [_diag(chapter, ref.line, "error", "image without a source")]
        file = (root / image_src(target)).resolve()  # as the renderers will ask for it
        if root.resolve() not in file.parents:
            return [_diag(chapter, ref.line, "error", f"image {target} is outside the project")]
        if not file.is_file():
            return [_diag(chapter, ref.line, "error", f"image {target} not found")]
        return []
    if not path:  # #fragment in this chapter
        if parts.fragment and slug_text(parts.fragment) not in ids and parts.fragment not in ids:
            return [
                _diag(
                    chapter,
                    ref.line,
                    "error",
                    f"link to #{parts.fragment}: no such heading in this chapter",
                )
            ]
        return []
    name = posixpath.basename(path)
    if path.endswith(".md"):
        other = by_name.get(name)
        if other is None:
            return [_diag(chapter, ref.line, "error", f"link to {target}: no chapter {name}")]
        if parts.fragment and parts.fragment not in _heading_ids(other):
            return [
                _diag(
                    chapter,
                    ref.line,
                    "error",
                    f"link to {target}: no heading #{parts.fragment} in {other.source}",
                )
            ]
        return []
    if not (root / CHAPTERS_DIR / path).exists():
        return [_diag(chapter, ref.line, "warning", f"link to {target}: no such file")]
    return [
        _diag(
            chapter,
            ref.line,
            "warning",
            f"link to {target} is not part of the book (the EPUB drops it)",
        )
    ]


def _headings(chapter: Chapter) -> list[Diagnostic]:
    found = []
    previous = 1  # the chapter title is the level-1 heading
    for token in chapter.tokens:
        if token.type != "heading_open":
            continue
        level = int(token.tag[1])
        line = chapter.body_line + token.map[0] if token.map else None
        if level == 1:
            found.append(
                _diag(
                    chapter,
                    line,
                    "warning",
                    "a level-1 heading inside a chapter; "
                    "the chapter title is level 1, use ## for sections",
                )
            )
        elif level > previous + 1:
            found.append(
                _diag(chapter, line, "warning", f"heading level skips from {previous} to {level}")
            )
        previous = level
    for token, line in with_lines(chapter):
        if token.type == "image" and not (token.content or "").strip():
            found.append(
                _diag(chapter, line, "warning", f"image {token.attrGet('src')} has no alt text")
            )
    return found


def _footnotes(chapter: Chapter) -> list[Diagnostic]:
    found = []
    refs = chapter.env.get("footnotes", {}).get("refs", {})
    for label, ident in refs.items():
        if ident == -1:
            found.append(
                _diag(
                    chapter,
                    None,
                    "warning",
                    f"footnote [^{label.lstrip(':')}] is defined but never used",
                )
            )
    for token in chapter.tokens:
        if token.type != "inline":
            continue
        line = chapter.body_line + token.map[0] if token.map else None
        for child in token.children or []:
            if child.type == "text":
                for label in UNDEFINED_NOTE.findall(child.content):
                    found.append(
                        _diag(
                            chapter, line, "error", f"footnote [^{label}] is used but not defined"
                        )
                    )
    return found


def _duplicate_ids(chapter: Chapter) -> list[Diagnostic]:
    seen: dict[str, int | None] = {}
    found = []
    for token, line in with_lines(chapter):
        ids = []
        if token.type in ("html_block", "html_inline"):
            ids = ID_ATTR.findall(token.content)
        elif token.attrGet("id") and token.type != "heading_open":
            ids = [str(token.attrGet("id"))]
        for ident in ids:
            if ident in seen:
                found.append(_diag(chapter, line, "warning", f"duplicate id '{ident}'"))
            seen[ident] = line
    return found


def check_stylesheet(root: Path, css: str, engine: bool = True) -> list[Diagnostic]:
    """Syntax errors and properties WeasyPrint does not know (it would ignore them)."""
    import tinycss2

    path = root / css
    if not path.is_file():
        return [Diagnostic(css, None, None, "error", "stylesheet not found")]
    found = []
    for ref in css_references(root, css):
        if urlsplit(ref.target).scheme in ("http", "https"):
            found.append(
                Diagnostic(
                    ref.source,
                    ref.line,
                    None,
                    "error",
                    f"{ref.target} is on the network, which builds do not load",
                )
            )
        elif not urlsplit(ref.target).scheme:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(ref.source), ref.target))
            if not (root / target).is_file():
                found.append(
                    Diagnostic(ref.source, ref.line, None, "error", f"{ref.target} not found")
                )
    if not engine:
        return found
    sheets = [css] + [
        posixpath.normpath(posixpath.join(posixpath.dirname(r.source), r.target))
        for r in css_references(root, css)
        if r.target.endswith(".css")
    ]
    for sheet in dict.fromkeys(sheets):
        file = root / sheet
        if not file.is_file():
            continue
        rules = tinycss2.parse_stylesheet(
            file.read_text("utf-8", errors="replace"), skip_comments=True, skip_whitespace=True
        )
        found += _check_rules(sheet, rules)
    return found


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
