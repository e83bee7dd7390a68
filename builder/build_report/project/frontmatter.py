"""YAML front matter: read safely (no aliases, no duplicate keys) into typed chapter fields."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from build_report.errors import BuildError, Diagnostic, did_you_mean, key_line
from build_report.project.model import KeyPoint, KeyTerm, Question, TimelineEntry
from build_report.project.text import clean_strings

FRONT_MATTER_KEYS = (
    "title",
    "summary",
    "key_points",
    "timeline",
    "key_terms",
    "questions",
    "teacher_notes",
    "language",
    "lang",  # pandoc's and Quarto's name for it
)


MAX_DEPTH = 50  # front matter is a few levels deep; thousands exhaust Python's stack


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (PyYAML silently keeps the last one), keys that
    are not plain values, and deep nesting; dates stay text, as written (an impossible date
    such as 2017-02-30 is then the author's text, not a crash)."""

    yaml_implicit_resolvers = {
        first: [(tag, regex) for tag, regex in resolvers if not tag.endswith(":timestamp")]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(
                None, None, "keys must be plain words, not lists or mappings", key_node.start_mark
            )
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_original_compose = _UniqueKeyLoader.compose_node


def _compose_node(self: _UniqueKeyLoader, parent, index):
    """Refuse YAML aliases outright: front matter never needs them, and they are the way to
    build expansion bombs. Refuse deep nesting before it exhausts the stack."""
    event = self.peek_event()
    if self.check_event(yaml.events.AliasEvent):
        raise yaml.composer.ComposerError(
            None, None, "aliases (*name) are not allowed in front matter", event.start_mark
        )
    self._depth = getattr(self, "_depth", 0) + 1
    try:
        if self._depth > MAX_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark
            )
        return _original_compose(self, parent, index)
    finally:
        self._depth -= 1


_UniqueKeyLoader.compose_node = _compose_node

_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

_CLoader = getattr(yaml, "CSafeLoader", None)  # PyYAML built with libyaml: about 20x faster


if _CLoader is not None:

    class _FastLoader(_CLoader):  # type: ignore[misc,valid-type]
        """The same loader with libyaml's parser and composer (what a 300-chapter book spent
        most of its reading in, in Python's). libyaml composes in C, where no hook can refuse
        an alias or a deep nest, so `_compose` checks the events first."""

        yaml_implicit_resolvers = _UniqueKeyLoader.yaml_implicit_resolvers

    _FastLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _events(text: str) -> Iterator[Any]:
    """libyaml's events for `text`; its own nesting limit (PyYAML 6.0.4 stops at a depth it
    chooses, before ours is reached) is said as ours is."""
    try:
        yield from yaml.parse(text, Loader=_FastLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" not in str(exc.problem or ""):
            raise
        raise yaml.composer.ComposerError(
            None, None, f"nested more than {MAX_DEPTH} levels deep", exc.problem_mark
        ) from None


def _compose(text: str) -> tuple[Any, Any]:
    """(the YAML's node tree, a loader to build values from it): libyaml where PyYAML has it,
    after one pass over its events that refuses aliases and deep nesting as `_compose_node`
    does in Python; the Python loader otherwise. Raises what PyYAML raises."""
    if _CLoader is None:
        loader = _UniqueKeyLoader(text)
        try:
            return loader.get_single_node(), loader
        finally:
            loader.dispose()
    depth = 0
    for event in _events(text):
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in front matter", event.start_mark
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth >= MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    loader = _FastLoader(text)
    try:
        return loader.get_single_node(), loader
    finally:
        loader.dispose()


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """Return (front matter, body, line number where the body starts)."""
    if not re.match(r"---[ \t]*\r?\n", text):
        return None, text, 1
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            return "".join(lines[1:i]), "".join(lines[i + 1 :]), i + 2
    return "", "", -1


SOURCE = "source"  # an aid's quote from the chapter text (markup/aidsources.py)
SOURCE_CHAPTER = "source_chapter"  # the chapter file the quote is in, if not the aid's own
SOURCE_KEYS = {SOURCE, SOURCE_CHAPTER}


def _sourced(item: dict) -> bool:
    """Whether the item's source keys, if any, are text."""
    return all(isinstance(item.get(key, ""), str) for key in SOURCE_KEYS)


def _key_points(value: Any, shown: str, line: int, lines: dict) -> tuple[KeyPoint, ...]:
    """Each key point is a string, or `{text: ..., source: ...}` with its supporting quote."""
    if value is None:
        return ()
    out = []
    for i, item in enumerate(value if isinstance(value, list) else [None]):
        if isinstance(item, str):
            out.append(KeyPoint(item))
        elif (
            isinstance(item, dict)
            and set(item) <= {"text", *SOURCE_KEYS}
            and isinstance(item.get("text"), str)
            and _sourced(item)
        ):
            where = lines.get(("key_points", i), line)
            source, home = item.get(SOURCE, "").strip(), item.get(SOURCE_CHAPTER, "").strip()
            out.append(KeyPoint(item["text"], source, where, home))
        else:
            raise BuildError(
                shown,
                "front matter 'key_points' must be a list of strings or of {text, source}",
                "write each item on its own '- ' line under key_points:, or as "
                "'- {text: ..., source: \"a quote from the chapter\"}'",
                line,
            )
    return tuple(out)


def _records(
    value: Any, key: str, fields: tuple[str, str], shown: str, line: int, lines: dict
) -> list[dict]:
    """Records with exactly `fields`, and an optional `source:` quote (as text), each with
    `line`, the front matter line of its source."""
    if value is None:
        return []
    ok = isinstance(value, list) and all(
        isinstance(v, dict)
        and set(fields) <= set(v) <= {*fields, *SOURCE_KEYS}
        and all(isinstance(v[f], str | int | datetime.date) for f in fields)
        and _sourced(v)
        for v in value
    )
    if not ok:
        raise BuildError(
            shown,
            f"front matter '{key}' must be a list of {{{', '.join(fields)}}} (and a source)",
            f"write each item as '- {fields[0]}: ...' with '{fields[1]}: ...' below",
            line,
        )
    return [
        {
            **{f: str(v[f]) for f in fields},
            SOURCE: v.get(SOURCE, "").strip(),
            SOURCE_CHAPTER: v.get(SOURCE_CHAPTER, "").strip(),
            "line": lines.get((key, i), line),
        }
        for i, v in enumerate(value)
    ]


def _questions(value: Any, shown: str, line: int, lines: dict) -> tuple[Question, ...]:
    """Each question is a string, or `{question: ..., answer: ..., source: ...}` with a
    teacher's answer and the quote that supports it."""
    if value is None:
        return ()
    out = []
    for i, item in enumerate(value if isinstance(value, list) else [None]):
        if isinstance(item, str):
            out.append(Question(item))
        elif (
            isinstance(item, dict)
            and set(item) <= {"question", "answer", *SOURCE_KEYS}
            and isinstance(item.get("question"), str)
            and isinstance(item.get("answer", ""), str)
            and _sourced(item)
        ):
            where = lines.get(("questions", i), line)
            source, home = item.get(SOURCE, "").strip(), item.get(SOURCE_CHAPTER, "").strip()
            out.append(Question(item["question"], item.get("answer", ""), source, where, home))
        else:
            raise BuildError(
                shown,
                "front matter 'questions' must be a list of strings or of "
                "{question, answer, source}",
                "write '- question: ...' with 'answer: ...' below, or '- Your question?'",
                line,
            )
    return tuple(out)


def source_lines(front: str) -> dict[tuple[str, int], int]:
    """(aid key, item index) -> the file line of that item's `source:` (or of the item), read
    from the YAML's node marks: the values PyYAML builds carry no positions. TOML front
    matter (or YAML that will not compose) gives none: the aid key's line is used instead."""
    if "source" not in front:
        return {}
    try:
        root, _ = _compose(front)
    except (yaml.YAMLError, RecursionError):
        return {}
    found: dict[tuple[str, int], int] = {}
    if not isinstance(root, yaml.MappingNode):
        return found
    for key_node, value in root.value:
        if not isinstance(value, yaml.SequenceNode):
            continue
        for i, item in enumerate(value.value):
            line = item.start_mark.line
            if isinstance(item, yaml.MappingNode):
                line = next((k.start_mark.line for k, _ in item.value if k.value == SOURCE), line)
            found[(str(key_node.value), i)] = line + 2  # 1-based, after the opening ---
    return found


def parse_front_matter(text: str, shown: str) -> dict[str, Any]:
    try:
        node, loader = _compose(text)
        data = None if node is None else loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark else None  # +1 for 1-based, +1 for the opening ---
        problem = exc.problem or exc.context or "invalid YAML"
        raise BuildError(
            shown,
            f"front matter is not valid YAML: {problem}",
            "fix the YAML between the --- lines",
            line,
        ) from None
    except yaml.YAMLError as exc:
        raise BuildError(
            shown, f"front matter is not valid YAML: {exc}", "fix the YAML between the --- lines", 2
        ) from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # an explicit tag PyYAML cannot build (`!!timestamp 2017-02-30`, `!!int 1e999`)
        raise BuildError(
            shown,
            f"front matter holds a value YAML cannot read ({type(exc).__name__})",
            "write the value as plain text, without a !!tag",
            2,
        ) from None
    data = clean_strings(data)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BuildError(
            shown,
            "front matter must be a mapping of keys to values",
            "write 'title: ...' and other keys between the --- lines",
            2,
        )
    return data


def _text(value: Any, key: str, shown: str, line_of) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BuildError(
            shown,
            f"front matter '{key}' must be a string",
            f"write {key}: followed by text",
            line_of(key),
        )
    return value.strip()


def check_keys(meta: dict[str, Any], front: str, shown: str) -> list[Diagnostic]:
    """Keys we do not use are warnings, not errors: chapters written for Hugo, Jekyll, pandoc
    or Obsidian carry author, date, tags, draft, weight... (--strict makes them errors)."""
    found = []
    for key in meta:
        if key not in FRONT_MATTER_KEYS:
            hint = did_you_mean(str(key), FRONT_MATTER_KEYS)
            hint = hint if hint.startswith("did you") else "it is ignored"
            found.append(
                Diagnostic(
                    shown,
                    line_of(front, str(key)),
                    None,
                    "warning",
                    f"front matter key '{key}' is not used by build-report; {hint}",
                    kind=f"front matter key '{key}' is not used",
                )
            )
    return found


@dataclass(frozen=True)
class Front:
    """A chapter's front matter, whichever syntax it came in, and the body after it."""

    meta: dict[str, Any]
    text: str  # the front matter as written, for the line of a key
    body: str
    body_line: int  # the line of the file where the body starts


def read_front(text: str, shown: str, problems: list[Diagnostic] | None = None) -> Front:
    """YAML between `---` lines (Jekyll, Hugo, pandoc, Quarto), TOML between `+++` lines
    (Hugo, Zola), or a pandoc title block (`% Title` lines); none at all is fine too.

    With `problems` (check), front matter that cannot be read is reported there and the
    body is still returned, so that one run reports every problem of the chapter."""
    if problems is None:
        return _read_front(text, shown)
    try:
        return _read_front(text, shown)
    except BuildError as exc:
        problems.append(exc.diagnostic())
        front, body, body_line = split_front_matter(text)
        if body_line == -1 or text.startswith("+++"):
            raise
        return Front({}, front or "", body, body_line)


def _read_front(text: str, shown: str) -> Front:
    if text.startswith("%"):
        return _pandoc_title_block(text)
    if re.match(r"\+\+\+[ \t]*\r?\n", text):
        return _toml_front(text, shown)
    front, body, body_line = split_front_matter(text)
    if body_line == -1:
        raise BuildError(
            shown,
            "front matter has no closing '---' line",
            "end the front matter with a line of three hyphens",
            1,
        )
    meta = parse_front_matter(front, shown) if front is not None else {}
    return Front(meta, front or "", body, body_line)


def _toml_front(text: str, shown: str) -> Front:
    import tomllib

    lines = text.splitlines(keepends=True)
    end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "+++"), None)
    if end is None:
        raise BuildError(
            shown,
            "front matter has no closing '+++' line",
            "end the TOML front matter with a line of three plus signs",
            1,
        )
    front = "".join(lines[1:end])
    try:
        meta = clean_strings(tomllib.loads(front))
    except RecursionError:
        raise BuildError(
            shown, "front matter nested too deeply to read", "flatten the nested arrays", 2
        ) from None
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise BuildError(
            shown,
            f"front matter is not valid TOML: {message}",
            "fix the TOML between the +++ lines",
            int(found.group(1)) + 1 if found else 2,
        ) from None
    return Front(meta, front, "".join(lines[end + 1 :]), end + 2)


def _pandoc_title_block(text: str) -> Front:
    """`% Title` (continued on indented lines), then `% Author(s)` and `% Date`, which we
    do not print per chapter. https://pandoc.org/MANUAL.html#extension-pandoc_title_block"""
    lines = text.splitlines(keepends=True)
    fields: list[str] = []
    end = 0
    for end, line in enumerate(lines):  # noqa: B007 - `end` is used after the loop
        if line.startswith("%"):
            fields.append(line[1:].strip())
        elif line[:1] in (" ", "\t") and fields and line.strip():
            fields[-1] += " " + line.strip()
        else:
            break
    else:
        end = len(lines)
    meta = {"title": fields[0]} if fields and fields[0] else {}
    return Front(meta, "", "".join(lines[end:]), end + 1)


def line_of(front: str, key: str) -> int:
    """The front matter line of a top-level key (the text starts on line 2, after ---)."""
    return key_line(front, key, first=2) or 2


def aids(meta: dict[str, Any], front: str, shown: str) -> dict[str, Any]:
    """The learning aids and notes of a chapter, typed and checked."""

    def line(key: str) -> int:
        return line_of(front, key)

    lines = source_lines(front)
    return {
        "summary": _text(meta.get("summary"), "summary", shown, line),
        "key_points": _key_points(meta.get("key_points"), shown, line("key_points"), lines),
        "timeline": tuple(
            TimelineEntry(**r)
            for r in _records(
                meta.get("timeline"), "timeline", ("date", "event"), shown, line("timeline"), lines
            )
        ),
        "key_terms": tuple(
            KeyTerm(**r)
            for r in _records(
                meta.get("key_terms"),
                "key_terms",
                ("term", "definition"),
                shown,
                line("key_terms"),
                lines,
            )
        ),
        "questions": _questions(meta.get("questions"), shown, line("questions"), lines),
        "teacher_notes": _text(meta.get("teacher_notes"), "teacher_notes", shown, line),
    }
