"""One progress bar for a build (issue 17): it moves while the PDF is painted, not only while
pages are laid out, and a parallel build shows the same one bar, not each part's pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from build_report import console

from tests.conftest import run
from tests.pdf.test_parallel_default import long_book


@pytest.fixture
def drawn(monkeypatch) -> list[tuple[int, str]]:
    """What a terminal would show: every state of the bar (percent, label), in order."""
    states: list[tuple[int, str]] = []

    class Terminal(console.Progress):
        def __init__(self, quiet: bool = False, verbose: bool = False) -> None:
            super().__init__(quiet, verbose)
            self.live = not quiet and not verbose

        def _draw(self, force: bool = False) -> None:
            percent = int(self.fraction() * 100)
            if force or percent != self.drawn:
                self.drawn = percent
                states.append((percent, self.label))

    monkeypatch.setattr(console, "Progress", Terminal)
    return states


def assert_one_bar(states: list[tuple[int, str]]) -> None:
    percents = [p for p, _ in states]
    assert percents == sorted(percents), states  # it never goes back
    before = [p for p, label in states if label not in ("writing", "done")][-1]
    assert before >= 90, states
    assert states[-2:] == [(98, "writing"), (100, "done")], states


def test_the_bar_moves_while_the_pdf_is_painted(drawn, tmp_path: Path) -> None:
    book = long_book(tmp_path / "book", 4, 30)
    result = run("pdf", "-C", book.root, "--jobs", "1", "--no-cache")
    assert result.exit_code == 0, result.output
    assert_one_bar(drawn)
    laying_out = [p for p, label in drawn if label == "laying out"]
    assert len(set(laying_out)) >= 8, drawn  # page by page, then painted page by page
    assert max(laying_out) >= 90, drawn  # it used to stop where layout ended


def test_a_parallel_build_shows_one_bar(drawn, tmp_path: Path) -> None:
    book = long_book(tmp_path / "book", 4, 30)
    result = run("pdf", "-C", book.root, "--jobs", "2", "--no-cache")
    assert result.exit_code == 0, result.output
    assert_one_bar(drawn)
    labels = {label for _, label in drawn if not label.startswith("reading")}
    assert labels <= {
        "building pdf (student)",
        "laying out",
        "writing, laying out the contents",
        "stitching",
        "writing",
        "done",
    }, labels
    moving = ("laying out", "writing, laying out the contents")
    assert len({p for p, label in drawn if label in moving}) >= 8, drawn
