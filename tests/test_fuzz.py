"""Property-based: random Markdown and front matter never produce a traceback."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import MINIMAL_TOML, REPO, run

PIECES = [
    *list("ab #*_[]()!<>|-:`\n^{}&\\\"'=/.x1~+>"),
    "<div>",
    "</div>",
    "<b>",
    "<span id='x'>",
    "<img src='a.png'>",
    "<script>",
    "<table>",
    "[^1]",
    "\n[^1]: note\n",
    "::: teacher\n",
    "\n:::\n",
    "---\n",
    "\n\n",
    "| a | b |\n",
    "|---|---|\n",
    "```\n",
    "    code\n",
    "1. ",
    "- ",
    "> ",
    "![alt](img.png)",
    "[link](02-second.md#x)",
    "{#id .cls}",
    "&amp;",
    "&#0;",
    "\u00e9",
    "\u202e",
    "\x00",
]
markdown = st.lists(st.sampled_from(PIECES), max_size=80).map("".join)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20))
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
keys = st.sampled_from(
    ["title", "summary", "key_points", "timeline", "key_terms", "questions", "teacher_notes", "x"]
)
front_matter = st.one_of(
    st.dictionaries(keys, values, max_size=5).map(lambda d: yaml.safe_dump(d)),
    st.text(max_size=60),
)

_TEMPLATE = Path(tempfile.mkdtemp(prefix="fuzz-template-")) / "book"
shutil.copytree(REPO / "styles", _TEMPLATE / "styles")
(_TEMPLATE / "report.toml").write_text(MINIMAL_TOML)
(_TEMPLATE / "chapters").mkdir()
(_TEMPLATE / "chapters" / "02-second.md").write_text("---\ntitle: Second\n---\n\n## X\n")


def _project(front: str, body: str) -> Path:
    root = Path(tempfile.mkdtemp(prefix="fuzz-")) / "book"
    shutil.copytree(_TEMPLATE, root)
    (root / "chapters" / "01-first.md").write_text(f"---\n{front}\n---\n{body}", encoding="utf-8")
    return root


def _no_traceback(result) -> None:
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code in (0, 1), result.output


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(front=front_matter, body=markdown)
@pytest.mark.slow
def test_check_html_and_epub_never_crash(front: str, body: str) -> None:
    root = _project(front, body)
    try:
        for command in ("check", "html", "epub"):
            _no_traceback(run(command, "-C", root))
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(front=st.just("title: Fuzz"), body=markdown)
@pytest.mark.slow
def test_pdf_never_crashes(front: str, body: str) -> None:
    root = _project(front, body)
    try:
        _no_traceback(run("pdf", "-C", root))
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)
