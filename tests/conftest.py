"""Shared fixtures: the default briefing built once per session, and tiny books in tmp_path."""

from __future__ import annotations

import re
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from build_report.cli import main
from click.testing import CliRunner, Result

REPO = Path(__file__).resolve().parent.parent
# A copy of the source article (shared/seeds/000_6bc469fc83f73d2b.txt), the author's text.
SEED = REPO / "tests" / "fixtures" / "source-article.txt"

# The default briefing's chapters, in order: the six sections of the source article.
TITLES = [
    "Introduction",
    "The Genesis of a Noteworthy Dynamic",
    "Key Interactions and Encounters",
    "Impacts on International Relations",
    "Potential Future Trajectory",
    "Conclusion",
]

MINIMAL_TOML = """\
[report]
title = "Fixture Book"
author = "Tester"
"""


@pytest.fixture(autouse=True, scope="session")
def _private_user_folders(tmp_path_factory) -> None:
    """The tool keeps a little state per user (the cache key, the record of what it wrote):
    tests keep theirs in a folder of their own, never in the real home."""
    import os

    home = tmp_path_factory.mktemp("user")
    for name in ("XDG_STATE_HOME", "XDG_CACHE_HOME"):
        os.environ[name] = str(home / name.lower())
    os.environ["BUILD_REPORT_DEBUG"] = "1"  # a bug is a traceback in tests, never hidden


def corpus_folder() -> Path:
    """The real documents of `../shared/corpus` (beside the project, or beside any folder
    above it), or the `corpus` folder of BUILD_REPORT_SHARED. Tests read them there and
    never copy them (their licences differ from ours)."""
    import os

    if os.environ.get("BUILD_REPORT_SHARED"):
        return Path(os.environ["BUILD_REPORT_SHARED"]) / "corpus"
    for folder in REPO.parents:
        if (folder / "shared" / "corpus").is_dir():
            return folder / "shared" / "corpus"
    return REPO.parent / "shared" / "corpus"


def run(*args: str) -> Result:
    """Run the CLI in-process, the way a user would from a shell."""
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True)


@dataclass
class Project:
    root: Path

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def build(self, command: str = "pdf", *args: str) -> Result:
        return run(command, "-C", self.root, *args)

    def outputs(self) -> list[Path]:
        build = self.root / "build"
        return sorted(build.rglob("*")) if build.exists() else []


def new_project(root: Path) -> Project:
    """An empty book at `root`: the minimal report.toml and a copy of the repo's styles."""
    root.mkdir(parents=True)
    shutil.copytree(REPO / "styles", root / "styles")
    book = Project(root)
    book.write("report.toml", MINIMAL_TOML)
    return book


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A tiny valid book: report.toml, two chapters and a copy of the repo's styles."""
    book = new_project(tmp_path / "book")
    book.write("chapters/01-first.md", "---\ntitle: First Chapter\n---\n\nHello from the first.\n")
    book.write("chapters/02-second.md", "---\ntitle: Second Chapter\n---\n\nAnd the second.\n")
    return book


def assert_clean_error(result: Result, *, names: str, code: int = 1) -> str:
    """One `Error:` line naming the file, the right exit code, and no traceback."""
    output = result.output
    assert result.exit_code == code, output
    assert "Traceback" not in output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, output
    assert names in lines[0], lines[0]
    return lines[0]


def inflated(path: Path) -> bytes:
    """A PDF's raw bytes plus every stream inflated: what a search for leaked bytes must read."""
    import contextlib
    import zlib

    raw = path.read_bytes()
    chunks = [raw]
    for match in re.finditer(rb"stream\r?\n", raw):
        chunk = raw[match.end() : raw.find(b"endstream", match.end())]
        with contextlib.suppress(zlib.error):
            chunks.append(zlib.decompressobj().decompress(chunk))
    return b"".join(chunks)


def normalize(text: str) -> str:
    """Letters and digits only: immune to line breaks, hyphenation, and typographic quotes."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


@pytest.fixture(scope="session")
def default_pdf(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("default") / "briefing.pdf"
    result = run("pdf", "-C", REPO, "-o", out)
    assert result.exit_code == 0, result.output
    return out
