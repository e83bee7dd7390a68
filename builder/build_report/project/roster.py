"""A class roster (`handout --roster class.csv`): who gets a handout, in which group.

Read strictly, as report.toml is: a file outside the project, a missing `name` column or an
empty name is an error naming the file and line, never a handout with a blank header.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from build_report.errors import BuildError, display_path

MAX_ROSTER_BYTES = 1_000_000  # a class list, not a database
MAX_STUDENTS = 2_000
COLUMNS = ("name", "group")


@dataclass(frozen=True)
class Student:
    name: str
    group: str = ""
    line: int = 0  # in the roster file, for messages


@dataclass(frozen=True)
class Roster:
    shown: str  # the file as messages name it (relative to the project)
    data: bytes  # its bytes, part of the seed of the question orders
    students: tuple[Student, ...]


def read_roster(path: Path, root: Path) -> Roster:
    """The students of `path`, a CSV file inside the project with a `name` column (and
    optionally `group`), UTF-8 with or without a byte-order mark."""
    real_root = root.resolve()
    real = path.resolve()
    shown = display_path(path, root) if real_root in real.parents else str(path)
    if real_root not in real.parents or ".git" in real.relative_to(real_root).parts:
        raise BuildError(shown, "the roster is outside the project", "copy it into the project")
    if not real.is_file():
        raise BuildError(shown, "roster not found", "give a CSV file with a 'name' column")
    data = real.read_bytes()
    if len(data) > MAX_ROSTER_BYTES:
        raise BuildError(shown, "the roster is larger than 1 MB", "give one class's list")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BuildError(shown, "the roster is not UTF-8", "save it as UTF-8 CSV", line) from None
    return Roster(shown, data, _students(text, shown))


def _students(text: str, shown: str) -> tuple[Student, ...]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise BuildError(shown, "the roster is empty", "write a header line: name,group")
        columns = [cell.strip().lower() for cell in header]
        if "name" not in columns:
            raise BuildError(
                shown, "the roster has no 'name' column", "write a header line: name,group", 1
            )
        name_at = columns.index("name")
        group_at = columns.index("group") if "group" in columns else None
        students = []
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue  # blank lines (a trailing one, a spreadsheet's spacer) mean nothing
            name = " ".join(row[name_at].split()) if name_at < len(row) else ""
            if not name:
                raise BuildError(shown, "a student without a name", "fill in the name", line)
            group = ""
            if group_at is not None and group_at < len(row):
                group = " ".join(row[group_at].split())
            students.append(Student(name, group, line))
    except csv.Error as exc:
        what = f"not a CSV file ({exc})"
        raise BuildError(shown, what, "fix the quoting", reader.line_num) from None
    if not students:
        raise BuildError(shown, "the roster lists no students", "add a line per student")
    if len(students) > MAX_STUDENTS:
        raise BuildError(shown, f"more than {MAX_STUDENTS} students", "split the roster")
    return tuple(students)
