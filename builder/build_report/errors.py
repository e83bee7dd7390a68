"""Diagnostics and the one error type the CLI shows without a traceback."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import click

_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` safe to print on one terminal line: control characters, line breaks and
    bidirectional overrides (from file names, titles, YAML escapes) shown as `\\xNN`/`\\uNNNN`,
    so a name can neither repaint the terminal nor forge a line that looks like ours."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


@dataclass(frozen=True)
class Diagnostic:
    """A message about a source file, printed compiler-style (`file:line:col: level: message`)."""

    path: str
    line: int | None = None
    col: int | None = None
    level: str = "warning"
    message: str = ""
    kind: str = ""  # what warnings of the same kind share, to be grouped (the message if "")

    def sort_key(self) -> tuple:
        """Compiler order: by file, then position (messages without a line first)."""
        return (self.path, self.line or 0, self.col or 0, self.level, self.message)

    def format(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.col is not None:
                where += f":{self.col}"
        return printable(f"{where}: {self.level}: {self.message}")


class BuildError(click.ClickException):
    """A problem in the user's project: one line naming the file, exit code 1, no traceback.

    Deriving from ClickException is what keeps tracebacks away from users: Click prints
    `Error: <message>` to stderr and exits with `exit_code`.
    """

    exit_code = 1

    def __init__(self, path: str | Path, what: str, todo: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.what = what
        self.todo = todo
        where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(printable(f"{where}: {what}; {todo}"))

    def diagnostic(self) -> Diagnostic:
        """The error as a finding, for commands that report every problem (check)."""
        return Diagnostic(self.path, self.line, None, "error", f"{self.what}; {self.todo}")

    def __reduce__(self):
        """Picklable, so an error raised in a worker process (--jobs) reaches the user intact."""
        return (type(self), (self.path, self.what, self.todo, self.line))


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """A hint naming the nearest known word, or listing the known ones."""
    import difflib

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "known keys: " + ", ".join(sorted(choices))


def display_path(path: Path, root: Path) -> str:
    """A path as the user should read it: relative to the project when inside it."""
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def path_error(exc: OSError) -> BuildError:
    """A path the system refused (too long, not writable, not a folder, full disk): the
    user's to fix, so one line naming it, however deep in the build it was met."""
    name = str(exc.filename)
    shown = name if len(name) <= 100 else f"{name[:48]}...{name[-48:]}"
    return BuildError(
        shown,
        exc.strerror or str(exc),
        "choose another path (shorter, writable, on a disk with space)",
    )


class InternalError(click.ClickException):
    """A bug of ours, not a problem of the project: one line saying so and what to send."""

    exit_code = 1

    def __init__(self, exc: BaseException) -> None:
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        super().__init__(
            printable(
                f"internal error ({type(exc).__name__}: {first}); this is a bug in build-report: "
                "please report it with the output of build-report -v"
            )
        )


class DiagnosticsError(click.ClickException):
    """A build stopped by findings (EPUBCheck errors, warnings under --strict): print them all,
    compiler-style, then one summary line."""

    exit_code = 1

    def __init__(self, diagnostics: list[Diagnostic], what: str) -> None:
        self.what = what
        self.diagnostics = sorted(diagnostics, key=Diagnostic.sort_key)
        super().__init__(
            printable(f"{what}: {len(self.diagnostics)} problem(s) above; fix them and rebuild")
        )

    def __reduce__(self):
        """Picklable, so findings in a child process (the watchdog, --jobs) reach the user."""
        return (type(self), (self.diagnostics, self.what))

    def show(self, file=None) -> None:
        for diagnostic in self.diagnostics:
            click.echo(diagnostic.format(), err=True)
        super().show(file)


def fail_on(diagnostics: list[Diagnostic], strict: bool, what: str) -> None:
    """Errors always stop a build; warnings stop it under --strict. One error alone is the
    one `Error:` line naming its file; several are listed, then summed up."""
    errors = [d for d in diagnostics if d.level == "error"]
    if len(errors) == 1 and not (strict and len(diagnostics) > 1):
        first = errors[0]
        raise BuildError(first.path, first.message, "fix it and build again", first.line)
    if any(d.level == "error" or strict for d in diagnostics):
        raise DiagnosticsError(diagnostics, what)


def key_line(text: str, key: str, table: str | None = None, first: int = 1) -> int | None:
    """The line that sets `key` in TOML or YAML text (tomllib and PyYAML's values carry no
    positions), within `[table]` when one is named; a table's own header counts as setting it.
    `first` is the number of the text's first line."""
    import re

    assigns = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*[=:]")
    header = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    current = ""
    for number, line in enumerate(text.splitlines(), start=first):
        found = header.match(line)
        if found:
            current = re.sub(r"\s*\.\s*", ".", found.group(1)).replace('"', "").replace("'", "")
            if table is None and current == key:
                return number
            continue
        if assigns.match(line) and (table is None or current == table):
            return number
    return None
