"""Limits that limit (issue 19): smart quotes in linear time, time_limit for every stage of a
build (a watchdog that kills), table spans capped, max_pages and time_limit for the whole of a
parallel build, workers that die with their parent, and the title escaped in CSS."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from build_report import processes
from build_report.errors import BuildError
from build_report.markup.parser import parser
from build_report.markup.sanitize import MAX_SPAN, sanitize
from build_report.pdf.parallel import css_string

from tests.conftest import Project, assert_clean_error, normalize, run

LIMITED_TOML = """\
[report]
title = "Fixture Book"
author = "Tester"

[build]
{setting}
"""


def _traced_events(text: str) -> int:
    """Python events (calls, lines, returns) spent in the smart-quote rule on `text`: ours,
    or markdown-it's own if it were back in place. A count, not a time: the same on any
    machine, however loaded."""
    import markdown_it.rules_core  # noqa: F401  (loads the rule's module)
    from build_report.markup import typography

    files = {typography.__file__, sys.modules["markdown_it.rules_core.smartquotes"].__file__}
    count = 0

    def tracer(frame, event, arg):
        nonlocal count
        if frame.f_code.co_filename not in files:
            return None
        count += 1
        return tracer

    sys.settrace(tracer)
    try:
        parser().parse(text, {})
    finally:
        sys.settrace(None)
    return count


def test_smart_quotes_cost_grows_linearly_with_the_text() -> None:
    # Structural, not timed (timing goals live in bench/): four times the `'a" ` repeats cost
    # four times the steps. markdown-it's own rule walks its stack of open quotes for every
    # closing one: about 16 times (and 40-60 s for the 160 KB chapter of the attack).
    small, large = _traced_events("'a\" " * 1000), _traced_events("'a\" " * 4000)
    assert large <= 4.5 * small, (small, large)


def test_the_160_kb_attack_chapter_parses_to_its_own_text() -> None:
    tokens = parser().parse("'a\" " * 40_000, {})
    text = "".join(c.content for t in tokens for c in t.children or [])
    assert text == ("'a\" " * 40_000).strip()  # no pair to curl: markdown-it's answer too


def test_quotes_are_the_ones_markdown_it_would_set() -> None:
    import random

    from build_report.markup.typography import smartquotes_plugin
    from markdown_it import MarkdownIt

    def dialect() -> MarkdownIt:
        md = MarkdownIt("commonmark", {"typographer": True, "html": True})
        return md.enable(["replacements", "smartquotes", "strikethrough"])

    ours, theirs = dialect().use(smartquotes_plugin), dialect()
    pieces = ["'", '"', "a", " ", "1", "*", "_", "\n", "-", "(", "`", "\u00e9", "**", "\n\n"]
    pieces += ["<b>", "[x](y)", "\\", "~~"]
    rng = random.Random(19)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 24)))
        assert ours.render(text) == theirs.render(text), text


def test_normal_text_keeps_its_curly_quotes() -> None:
    html = parser().render('She said "it\'s \'fine\'" -- and 5\'10" (1"") "*a*".')
    assert "She said \u201cit\u2019s \u2018fine\u2019\u201d" in html
    assert "5\u201910&quot; (1&quot;&quot;)" in html  # feet, inches, and 1"" stay as typed
    assert "\u201c<em>a</em>\u201d." in html


def test_quotes_follow_the_document_language_when_given() -> None:
    tokens = parser().parse("Er sagte \"ja\" und 'nein'.", {"language": "de-AT"})
    text = "".join(c.content for c in tokens[1].children or [])
    assert text == "Er sagte \u201eja\u201c und \u201anein\u2018."


def _stubborn() -> None:
    """Work that no exception stops, like WeasyPrint's SVG drawing (except BaseException)."""
    while True:
        with contextlib.suppress(BaseException):  # the point: it swallows everything
            time.sleep(0.05)


@pytest.mark.skipif(not processes.can_fork(), reason="the watchdog needs fork")
def test_the_watchdog_kills_work_that_swallows_every_exception() -> None:
    deadline = processes.Deadline(time.monotonic() + 0.5, 7, 12)
    with pytest.raises(BuildError) as caught:
        processes.in_child(_stubborn, deadline=deadline)
    assert str(caught.value).startswith(
        "report.toml:12: the build took longer than time_limit = 7 s;"
    )


def _write_long_chapter(project: Project, paragraphs: int) -> None:
    text = "Plain words of a long chapter, with *some emphasis* and a [link](#x).\n\n"
    project.write("chapters/01-long.md", "---\ntitle: Long\n---\n\n" + text * paragraphs)


@pytest.mark.skipif(not processes.can_fork(), reason="the watchdog needs fork")
@pytest.mark.parametrize("command", ["pdf", "html", "check", "stats"])
def test_time_limit_holds_while_markdown_is_parsed(project: Project, command: str) -> None:
    # 1.5 MB of Markdown takes several seconds to parse: far past time_limit = 1 s, which
    # used to be watched only during layout (and only between pages).
    project.write("report.toml", LIMITED_TOML.format(setting="time_limit = 1"))
    _write_long_chapter(project, 20_000)
    result = project.build(command)
    if command == "check":  # check reports compiler-style
        assert result.exit_code == 1, result.output
        line = result.output
        assert "report.toml:6: error:" in line
    else:
        line = assert_clean_error(result, names="report.toml:6:")
    assert "the build took longer than time_limit = 1 s" in line
    assert not [p for p in project.outputs() if p.suffix in (".pdf", ".xhtml", ".html")]


def test_spans_are_capped_by_the_sanitizer() -> None:
    html = sanitize(
        '<table><colgroup span="99999"></colgroup><tr>'
        f'<td colspan="100000000" rowspan="{"9" * 5000}">a</td>'
        '<td colspan="2" rowspan="0">b</td><td colspan="x">c</td></tr></table>'
    )
    assert f'<colgroup span="{MAX_SPAN}">' in html
    assert f'<td colspan="{MAX_SPAN}" rowspan="{MAX_SPAN}">a</td>' in html
    assert '<td colspan="2" rowspan="0">b</td>' in html  # rowspan 0: to the end of the group
    assert "<td>c</td>" in html


@pytest.mark.slow
def test_a_huge_colspan_is_laid_out_within_the_limits(project: Project) -> None:
    # colspan="100000000" took 3-7 GB and hung; capped, it is one wide cell.
    project.write("report.toml", LIMITED_TOML.format(setting="time_limit = 120"))
    project.write(
        "chapters/01-first.md",
        '---\ntitle: First\n---\n\n<table><tr><td colspan="100000000">wide</td></tr>'
        "<tr><td>narrow</td></tr></table>\n",
    )
    result = project.build("pdf", "--no-cache")
    assert result.exit_code == 0, result.output


def _chapters_of_about(project: Project, count: int, chars: int) -> None:
    paragraph = "A paragraph of ordinary prose that fills the page of a chapter. " * 8 + "\n\n"
    for old in (project.root / "chapters").glob("*.md"):
        old.unlink()
    for n in range(1, count + 1):
        body = paragraph * (chars // len(paragraph))
        project.write(f"chapters/0{n}-part.md", f"---\ntitle: Part {n}\n---\n\n{body}")


@pytest.mark.slow
def test_max_pages_holds_for_the_whole_of_a_parallel_book(project: Project) -> None:
    # Three chapters of about 16,000 characters: two parts of under 14 pages each, a book
    # of more. Each part used to get max_pages of its own (42 pages written for 14).
    project.write("report.toml", LIMITED_TOML.format(setting="max_pages = 14"))
    _chapters_of_about(project, 3, 16_000)
    result = run("-v", "pdf", "-C", project.root, "--no-cache", "--jobs", "2")
    assert "laying out 2 of 2 parts in 2 processes" in result.output
    line = assert_clean_error(result, names="report.toml")
    assert "passed 14 pages" in line
    assert not [p for p in project.outputs() if p.suffix == ".pdf"]


@pytest.mark.slow
def test_a_parallel_layout_keeps_the_one_deadline_of_the_build(project: Project) -> None:
    # time_limit = 1000 s for each part's own clock (as it was) never stops this layout of a
    # few seconds; the build's deadline, 1 s from now, shared by every process, does.
    from build_report.commands.build import load_book
    from build_report.pdf.adapter import PdfOptions
    from build_report.pdf.parallel import plan, run
    from build_report.project.config import load_config

    project.write("report.toml", LIMITED_TOML.format(setting="time_limit = 1000"))
    _chapters_of_about(project, 3, 40_000)
    book = load_book(load_config(project.root))
    output = project.root / "build" / "parallel.pdf"
    deadline = processes.Deadline(time.monotonic() + 1, 1000, 6)
    with pytest.raises(BuildError) as caught:
        run(plan(book, output), output, PdfOptions(jobs=2, deadline=deadline), 2)
    assert "the build took longer than time_limit = 1000 s" in str(caught.value)
    assert not output.exists()


def _descendants(pid: int) -> set[int]:
    """Every living process under `pid`, from /proc (Linux)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_die_with_the_main_process(project: Project) -> None:
    _chapters_of_about(project, 3, 60_000)
    main = subprocess.Popen(
        [sys.executable, "-m", "build_report", "pdf", "-C", str(project.root), "--jobs", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        end = time.monotonic() + 60
        while len(_descendants(main.pid)) < 3 and main.poll() is None:  # layout + 2 workers
            assert time.monotonic() < end, "the workers never started"
            time.sleep(0.05)
        orphans = _descendants(main.pid)
        assert main.poll() is None, "the build ended before the test could kill it"
    finally:
        main.send_signal(signal.SIGKILL)
        main.wait()
    end = time.monotonic() + 10
    while any(_alive(pid) for pid in orphans) and time.monotonic() < end:
        time.sleep(0.1)
    assert not [pid for pid in orphans if _alive(pid)]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"


def test_css_strings_escape_whatever_ends_a_string_or_a_style() -> None:
    assert css_string('a"b\\c\nd</style>') == '"a\\22 b\\5c c\\a d\\3c /style\\3e "'
    assert css_string("tab\there\x00\x1b'") == '"tab\\9 here\\fffd \\1b \\27 "'
    assert (
        css_string("Gr\u00fc\u00dfe \u2014 \u00e9t\u00e9")
        == '"Gr\u00fc\u00dfe \u2014 \u00e9t\u00e9"'
    )


def test_a_newline_in_the_title_injects_no_css_under_jobs(project: Project) -> None:
    # The string ended at the newline, and `}}` closed the running head's @page rule.
    title = 'Fixture\n;}} p, h1, h2 { display: none } x { x: "'
    project.write("report.toml", f'[report]\ntitle = {json.dumps(title)}\nauthor = "Tester"\n')
    out = project.root / "out.pdf"
    result = project.build("pdf", "--no-cache", "--jobs", "2", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "bad string" not in result.output
    text = normalize(_pdf_text(out))
    assert "hellofromthefirst" in text and "andthesecond" in text


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
