"""Bibliography files -> CSL-JSON entries: BibTeX (read here, so a malformed entry is an
error at its line, and `url`, `institution`, `howpublished` are kept), CSL-JSON and CSL-YAML.

citeproc-py's own BibTeX reader drops URLs and institutions and raises no positions; CSL-JSON
is what every CSL processor takes, so BibTeX is translated into it once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from build_report.errors import Diagnostic

KIND = "bibliography files that cannot be read"


@dataclass
class Entries:
    """What the files held: CSL-JSON entries by key (lower case, as CSL processors compare
    keys), where each was defined, and what was wrong."""

    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    where: dict[str, tuple[str, int | None]] = field(default_factory=dict)
    problems: list[Diagnostic] = field(default_factory=list)

    def add(self, entry: dict[str, Any], shown: str, line: int | None) -> None:
        key = str(entry["id"]).lower()
        if key in self.items:
            self.problems.append(
                Diagnostic(shown, line, None, "warning", f"entry '{entry['id']}' is defined again")
            )
        self.items[key] = entry
        self.where[key] = (shown, line)

    def error(self, shown: str, line: int | None, message: str) -> None:
        self.problems.append(Diagnostic(shown, line, None, "error", message, kind=KIND))


def read_file(path: Path, shown: str, entries: Entries) -> None:
    """Add the entries of one file, by its extension."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        entries.error(shown, None, f"not valid UTF-8 at byte {exc.start}; save it as UTF-8")
        return
    suffix = path.suffix.lower()
    if suffix == ".bib":
        read_bibtex(text, shown, entries)
    elif suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            entries.error(shown, exc.lineno, f"CSL-JSON syntax error: {exc.msg}")
            return
        _csl(data, shown, entries)
    elif suffix in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            entries.error(shown, mark.line + 1 if mark else None, f"CSL-YAML syntax error: {exc}")
            return
        _csl(data.get("references") if isinstance(data, dict) else data, shown, entries)
    else:
        entries.error(shown, None, "unknown bibliography format; use .bib, .json or .yaml")


def _csl(data: Any, shown: str, entries: Entries) -> None:
    if not isinstance(data, list) or not all(isinstance(e, dict) and "id" in e for e in data):
        entries.error(shown, None, "CSL data must be a list of entries, each with an id")
        return
    for entry in data:
        entries.add({"type": "document", **entry}, shown, None)


# --- BibTeX ----------------------------------------------------------------------------------

TYPES = {
    "article": "article-journal",
    "book": "book",
    "booklet": "pamphlet",
    "inbook": "chapter",
    "incollection": "chapter",
    "inproceedings": "paper-conference",
    "conference": "paper-conference",
    "proceedings": "book",
    "manual": "book",
    "techreport": "report",
    "report": "report",
    "phdthesis": "thesis",
    "mastersthesis": "thesis",
    "thesis": "thesis",
    "unpublished": "manuscript",
    "online": "webpage",
    "electronic": "webpage",
    "www": "webpage",
    "misc": "document",
}
FIELDS = {
    "title": "title",
    "journal": "container-title",
    "journaltitle": "container-title",
    "booktitle": "container-title",
    "volume": "volume",
    "number": "issue",
    "pages": "page",
    "publisher": "publisher",
    "institution": "publisher",
    "organization": "publisher",
    "school": "publisher",
    "address": "publisher-place",
    "location": "publisher-place",
    "edition": "edition",
    "series": "collection-title",
    "note": "note",
    "url": "URL",
    "doi": "DOI",
    "isbn": "ISBN",
    "issn": "ISSN",
    "chapter": "chapter-number",
    "howpublished": "container-title",
}
MONTHS = {
    m: n
    for n, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
RUNS_ON = re.compile(r"\n[ \t]*[A-Za-z]+[ \t]*=[ \t]*[{\"]|\n[ \t]*@")  # a field's start
NAME_CHARS = re.compile(r"[A-Za-z0-9_:.+/'\-]+")


class BibError(Exception):
    """A malformed entry, at a character offset of the file."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


def read_bibtex(text: str, shown: str, entries: Entries) -> None:
    """Each `@type{key, field = value, ...}`; a malformed entry is an error at its line and
    the reading goes on at the next `@`."""
    strings: dict[str, str] = {m: m.capitalize() for m in MONTHS}
    position = 0
    while (at := text.find("@", position)) >= 0:
        try:
            position = _entry(text, at, strings, shown, entries)
        except BibError as exc:
            entries.error(shown, text.count("\n", 0, exc.offset) + 1, str(exc))
            following = re.compile(r"^[ \t]*@", re.M).search(text, max(exc.offset, at + 1))
            position = following.start() if following else len(text)


def _entry(text: str, at: int, strings: dict[str, str], shown: str, entries: Entries) -> int:
    kind = NAME_CHARS.match(text, at + 1)
    if not kind:
        raise BibError("'@' without an entry type", at)
    name = kind.group().lower()
    pos = _space(text, kind.end())
    if pos >= len(text) or text[pos] not in "{(":
        raise BibError(f"@{kind.group()} has no opening brace", pos)
    if name in ("comment", "preamble"):
        return _balanced(text, pos) + 1
    closing = "}" if text[pos] == "{" else ")"
    pos = _space(text, pos + 1)
    if name == "string":
        field_name, value, pos = _field(text, pos, strings)
        strings[field_name] = value
        return _close(text, pos, closing)
    key = re.compile(r"[^,\s{}()=\"#%']+").match(text, pos)
    if not key:
        raise BibError(f"@{kind.group()} has no key", pos)
    line = text.count("\n", 0, at) + 1
    pos = _space(text, key.end())
    fields: dict[str, str] = {}
    try:
        while pos < len(text) and text[pos] == ",":
            pos = _space(text, pos + 1)
            if pos < len(text) and text[pos] == closing:
                break
            field_name, value, pos = _field(text, pos, strings)
            fields[field_name] = value
        end = _close(text, pos, closing)
    except BibError as exc:
        raise BibError(f"entry '{key.group()}' (from line {line}): {exc}", exc.offset) from None
    entries.add(to_csl(name, key.group(), fields), shown, line)
    return end


def _space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _close(text: str, pos: int, closing: str) -> int:
    if pos >= len(text) or text[pos] != closing:
        found = repr(text[pos]) if pos < len(text) else "the end of the file"
        raise BibError(f"expected ',' or '{closing}' but found {found}", pos)
    return pos + 1


def _field(text: str, pos: int, strings: dict[str, str]) -> tuple[str, str, int]:
    name = NAME_CHARS.match(text, pos)
    if not name:
        raise BibError("expected a field name", pos)
    pos = _space(text, name.end())
    if pos >= len(text) or text[pos] != "=":
        raise BibError(f"field '{name.group()}' has no '='", pos)
    parts = []
    while True:
        pos = _space(text, pos + 1)
        if pos < len(text) and text[pos] == "{":
            end = _balanced(text, pos)
            if RUNS_ON.search(text, pos, end):  # `volume = {12,` then `number = {3},`
                raise BibError(f"field '{name.group()}': its brace is never closed", pos)
            parts.append(text[pos + 1 : end])
            pos = end + 1
        elif pos < len(text) and text[pos] == '"':
            end = pos + 1
            depth = 0
            while end < len(text) and (text[end] != '"' or depth):
                depth += {"{": 1, "}": -1}.get(text[end], 0)
                end += 1
            if end >= len(text):
                raise BibError(f"field '{name.group()}': a quote is never closed", pos)
            parts.append(text[pos + 1 : end])
            pos = end + 1
        elif word := NAME_CHARS.match(text, pos):
            value = word.group()
            parts.append(value if value.isdigit() else strings.get(value.lower(), value))
            pos = word.end()
        else:
            raise BibError(f"field '{name.group()}' has no value", pos)
        pos = _space(text, pos)
        if pos >= len(text) or text[pos] != "#":
            return name.group().lower(), "".join(parts), pos


def _balanced(text: str, pos: int) -> int:
    """The index of the brace that closes the one at `pos`."""
    opening = text[pos]
    closing = "}" if opening == "{" else ")"
    depth = 0
    for i in range(pos, len(text)):
        if text[i] == opening:
            depth += 1
        elif text[i] == closing:
            depth -= 1
            if depth == 0:
                return i
    raise BibError("a brace is never closed", pos)


def _latex(value: str) -> str:
    from citeproc.source.bibtex.latex import parse_latex

    try:
        return " ".join(str(parse_latex(value)).split())
    except Exception:  # noqa: BLE001 - an odd macro: the text as written, braces aside
        return " ".join(value.replace("{", "").replace("}", "").split())


def to_csl(kind: str, key: str, fields: dict[str, str]) -> dict[str, Any]:
    """One BibTeX entry as CSL-JSON."""
    csl_type = TYPES.get(kind, "document")
    if kind == "misc" and "url" in fields:
        csl_type = "webpage"
    entry: dict[str, Any] = {"id": key, "type": csl_type}
    for name, value in fields.items():
        target = FIELDS.get(name)
        if target == "issue" and csl_type == "report":
            target = "number"
        if target and target not in entry:
            entry[target] = value if target in ("URL", "DOI") else _latex(value)
    for role in ("author", "editor"):
        if role in fields:
            entry[role] = [_name(n) for n in _split_names(fields[role])]
    year = fields.get("year") or fields.get("date", "")[:4]
    if year.strip().isdigit():
        parts = [int(year)]
        month = MONTHS.get(fields.get("month", "").strip().lower()[:3])
        if month:
            parts.append(month)
        entry["issued"] = {"date-parts": [parts]}
    accessed = re.match(r"(\d{4})-(\d{2})-(\d{2})", fields.get("urldate", ""))
    if accessed:
        entry["accessed"] = {"date-parts": [[int(p) for p in accessed.groups()]]}
    return entry


def _split_names(value: str) -> list[str]:
    names, depth, current = [], 0, ""
    for piece in re.split(r"(\s+and\s+|[{}])", value):
        if piece == "{":
            depth += 1
        elif piece == "}":
            depth -= 1
        if depth == 0 and re.fullmatch(r"\s+and\s+", piece or ""):
            names.append(current)
            current = ""
        else:
            current += piece
    return [n.strip() for n in [*names, current] if n.strip()]


def _name(name: str) -> dict[str, str]:
    """`Smith, Jane`, `Jane Smith` or `{NATO}` (a literal name) as CSL name parts."""
    if name.startswith("{") and name.endswith("}") and name.count("{") == 1:
        return {"literal": _latex(name[1:-1])}
    if "," in name:
        family, _, given = name.partition(",")
        return {"family": _latex(family), "given": _latex(given)}
    words = name.split()
    if len(words) == 1:
        return {"literal": _latex(name)}
    return {"family": _latex(words[-1]), "given": _latex(" ".join(words[:-1]))}
