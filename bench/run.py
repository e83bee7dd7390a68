"""Benchmark build-report against the engine alone, pandoc and a Typst pipeline.

    python bench/run.py                        # x1, x10, x50, x200 and c50; 3 runs each
    python bench/run.py --scales 1 --runs 1    # what CI runs, to prove the harness works

Two kinds of book, made from the default briefing:
- xN: every chapter's text repeated N times (x1 is the 8-page briefing; few, long chapters);
- cN: the six chapters copied N times (c50: 300 one-to-two-page chapters, about 310 pages).

For each book it measures, in turn within each run (so machine noise hits every side alike, and
the ratios are paired: each is the median of one run's ratios):

- build-report:     `python -m build_report pdf --no-cache`, the default command, cold: it
                    lays out in one process per core when the book is long (--jobs 0, automatic)
- --jobs 1:         the same in one process
- WeasyPrint alone: `weasyprint.HTML(filename=...).write_pdf(...)` on the very HTML build-report
                    lays out (written beforehand with --emit-html): the floor
- pandoc:           `pandoc --pdf-engine=weasyprint` on the same chapters (its own stylesheet)
- pandoc → Typst:   pandoc writes Typst (`-t typst -s`), and the `typst` package compiles it, in
                    one Python process, cold, as Quarto's typst format does (its own template)

Then the edit loop, after the same one-paragraph edit (a sentence added to a paragraph of
chapter 3), once per run:
- build-report pdf: the default command again, with the parts of earlier builds kept;
- preview --pdf:    from saving the edit to the new PDF on disk (its mtime), with the live
                    preview's worker holding the engine (commands/preview_pdf.py);
- Typst warm:       `typst.Compiler.compile()` again in the process that compiled it first.

Last, a cached rebuild (nothing changed). Timing goals live here, never in the tests.

And the class set: the default briefing (as it is, not xN) as one handout, and as one PDF of
30 named copies (`handout --roster`, versions A and B), back to back in each run; the ratio is
paired as above. The goal (issue 18): at most 3.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable
EDITED = "03-key-interactions.md"
PARAGRAPH = "Another significant interaction"  # the paragraph of chapter 3 that each edit extends
FLOOR = "import sys, weasyprint; weasyprint.HTML(filename=sys.argv[1]).write_pdf(sys.argv[2])"
TYPST_COLD = (
    "import subprocess, sys, typst, pypandoc\n"
    "subprocess.run([pypandoc.get_pandoc_path(), *sys.argv[3:], '-s', '-t', 'typst', '-o',"
    " sys.argv[1]], check=True)\n"
    "typst.compile(sys.argv[1], output=sys.argv[2])\n"
)
TYPST_WARM = """
import sys, time, typst
from pathlib import Path
typ, runs, paragraph = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
compiler = typst.Compiler(str(typ))
compiler.compile(output="t-warm.pdf")
text = typ.read_text(encoding="utf-8")
for run in range(runs):
    start = text.index(paragraph)
    end = text.find("\\n\\n", start)
    end = len(text.rstrip()) if end < 0 else end
    typ.write_text(text[:end] + f" A sentence added in edit {run + 1}." + text[end:], "utf-8")
    began = time.perf_counter()
    compiler.compile(output="t-warm.pdf")
    print(time.perf_counter() - began)
typ.write_text(text, encoding="utf-8")
"""


def base_project(root: Path) -> Path:
    shutil.copytree(REPO / "styles", root / "styles")
    shutil.copy(REPO / "report.toml", root / "report.toml")
    # A page per chapter, so that a long copy can lay out in parts on every core (chapters that
    # follow on, as the default briefing's do, are laid out in one process).
    toml = (root / "report.toml").read_text()
    paged = toml.replace('chapter_break = "none"', 'chapter_break = "page"')
    (root / "report.toml").write_text(paged)
    (root / "chapters").mkdir()
    return root


def make_project(scale: int, folder: Path) -> Path:
    """xN: each chapter's text repeated N times."""
    root = base_project(folder / f"x{scale}")
    for path in sorted((REPO / "chapters").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        _, front, body = text.split("---\n", 2)
        (root / "chapters" / path.name).write_text(
            f"---\n{front}---\n" + "\n\n".join([body.strip()] * scale) + "\n", encoding="utf-8"
        )
    return root


def make_copies(count: int, folder: Path) -> Path:
    """cN: the default chapters copied N times, each copy a chapter of its own."""
    root = base_project(folder / f"c{count}")
    for n in range(1, count + 1):
        for path in sorted((REPO / "chapters").glob("*.md")):
            text = path.read_text(encoding="utf-8")
            # an aid's `source_chapter: 04-impacts.md` names the copy it belongs with
            text = re.sub(r"(source_chapter: )(\S+\.md)", rf"\g<1>{n:03d}-\2", text)
            (root / "chapters" / f"{n:03d}-{path.name}").write_text(text, encoding="utf-8")
    return root


# Measure what users get: Python caching compiled modules (some machines here turn that off).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def measure(argv: list[str], cwd: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one process."""
    start = time.perf_counter()
    process = subprocess.Popen(
        argv, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(argv)}\n{stderr}")
    return elapsed, usage.ru_maxrss


def pages(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


def find_pandoc() -> str | None:
    """pandoc on PATH, or the binary the pypandoc-binary package ships."""
    found = shutil.which("pandoc")
    if found:
        return found
    try:
        import pypandoc

        return pypandoc.get_pandoc_path()
    except (ImportError, OSError):
        return None


def has_typst() -> bool:
    try:
        import pypandoc  # noqa: F401
        import typst  # noqa: F401
    except ImportError:
        return False
    return True


def edited_file(root: Path) -> Path:
    """The first chapter 3 of the book, in book order: where the paragraph is first."""
    return sorted((root / "chapters").glob(f"*{EDITED}"))[0]


def extend_paragraph(path: Path, text: str, run: int) -> None:
    """The one-paragraph edit: a sentence added to the end of the paragraph."""
    start = text.index(PARAGRAPH)
    end = text.find("\n\n", start)
    end = len(text.rstrip()) if end < 0 else end
    sentence = f" A sentence added in edit {run + 1}."
    path.write_text(text[:end] + sentence + text[end:], encoding="utf-8")


def build_report(root: Path, out: str, *extra: str) -> list[str]:
    return [PY, "-m", "build_report", "pdf", *extra, "-C", str(root), "-o", out]


def bench_book(root: Path, label: str, runs: int) -> dict:
    html = root / "print.html"
    subprocess.run(
        build_report(root, str(root / "warm.pdf"), "--no-cache", "--emit-html", str(html)),
        check=True,
        capture_output=True,
    )
    pandoc = find_pandoc()
    chapters = sorted(str(p) for p in (root / "chapters").glob("*.md"))
    commands = {
        "build-report": build_report(root, "a.pdf", "--no-cache"),
        "single": build_report(root, "s.pdf", "--no-cache", "--jobs", "1"),
        "weasyprint": [PY, "-c", FLOOR, str(html), "b.pdf"],
    }
    if pandoc:
        commands["pandoc"] = [pandoc, *chapters, "--pdf-engine=weasyprint", "-o", "c.pdf"]
    if has_typst():
        commands["typst"] = [PY, "-c", TYPST_COLD, "t.typ", "t.pdf", *chapters]
    sides: dict[str, list[tuple[float, int]]] = {name: [] for name in commands}
    for run in range(runs):
        # Alternate the order, so that whatever the first process of a round pays (a cold
        # file cache, a CPU still clocking up) falls on each side in turn.
        order = list(commands) if run % 2 == 0 else list(reversed(commands))
        for name in order:
            sides[name].append(measure(commands[name], root))
    result: dict = {"label": label, "pages": pages(root / "a.pdf"), "runs": runs}
    result["sides"] = sides
    result["typst_pages"] = pages(root / "t.pdf") if "typst" in commands else None

    # the edit loop: the same one-paragraph edit for every side
    edited = edited_file(root)
    text = edited.read_text(encoding="utf-8")
    again = build_report(root, "e.pdf")
    subprocess.run(again, cwd=root, check=True, capture_output=True)
    edits = []
    for run in range(runs):
        extend_paragraph(edited, text, run)
        edits.append(measure(again, root)[0])
    edited.write_text(text, encoding="utf-8")
    result["edit"] = edits
    # other sentences than the rebuilds': their parts are in the cache, and would be reused
    result["live"] = live_pdf(root, edited, text, runs, first_edit=runs)
    if has_typst():
        warm = subprocess.run(
            [PY, "-c", TYPST_WARM, "t.typ", str(runs), PARAGRAPH],
            cwd=root,
            check=True,
            capture_output=True,
            text=True,
        )
        result["typst_warm"] = [float(line) for line in warm.stdout.split()]
    subprocess.run(build_report(root, "a.pdf"), cwd=root, check=True, capture_output=True)
    result["cached"] = [measure(build_report(root, "a.pdf"), root)[0] for _ in range(runs)]
    return result


def live_pdf(
    root: Path, edited: Path, text: str, runs: int, first_edit: int = 0
) -> list[float] | None:
    """Seconds from saving the edit to the new PDF on disk, with `preview --pdf` running: the
    PDF is replaced by a rename, so a new file (inode) is a new PDF, and its mtime says when
    it was written. The edits are numbered from `first_edit`, so that no edit repeats one
    an earlier build made (its part would come from the cache). None where the command has
    no --pdf."""
    import socket

    probe = subprocess.run(
        [PY, "-m", "build_report", "preview", "--help"], capture_output=True, text=True, env=ENV
    )
    if "--pdf" not in probe.stdout:
        return None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    pdf = root / "build" / "trump-putin.pdf"
    pdf.unlink(missing_ok=True)
    server = subprocess.Popen(
        [PY, "-m", "build_report", "preview", "--pdf", "--port", str(port), "-C", str(root)],
        cwd=root,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    times = []
    try:
        _new_pdf(pdf, None)
        time.sleep(1.0)  # the watcher is up
        for run in range(runs):
            before = pdf.stat().st_ino
            saved = time.time()
            extend_paragraph(edited, text, first_edit + run)
            times.append(_new_pdf(pdf, before) - saved)
            time.sleep(0.5)
        before = pdf.stat().st_ino
        edited.write_text(text, encoding="utf-8")
        _new_pdf(pdf, before)
    finally:
        server.terminate()
        server.wait(timeout=60)
    return times


def _new_pdf(pdf: Path, before: int | None, seconds: float = 900) -> float:
    """When a PDF other than inode `before` was written at `pdf` (its mtime)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            found = pdf.stat()
        except FileNotFoundError:
            found = None
        if found is not None and found.st_ino != before:
            return found.st_mtime
        time.sleep(0.005)
    raise SystemExit("preview --pdf did not write the PDF in time")


STUDENTS = 30


def bench_roster(folder: Path, runs: int, students: int = STUDENTS) -> dict:
    """One handout of the default briefing against a roster of `students` (pdf/roster.py)."""
    root = folder / "roster"
    root.mkdir()
    shutil.copytree(REPO / "styles", root / "styles")
    shutil.copytree(REPO / "chapters", root / "chapters")
    shutil.copy(REPO / "report.toml", root / "report.toml")
    rows = "".join(f"Student {n + 1},{n % 3 + 1}\n" for n in range(students))
    (root / "class.csv").write_text("name,group\n" + rows, encoding="utf-8")
    handout = [PY, "-m", "build_report", "handout", "--no-cache", "-C", str(root)]
    commands = {
        "one": [*handout, "-o", "one.pdf"],
        "roster": [*handout, "--roster", str(root / "class.csv"), "-o", "roster.pdf"],
    }
    sides: dict[str, list[tuple[float, int]]] = {name: [] for name in commands}
    for run in range(runs):
        order = list(commands) if run % 2 == 0 else list(reversed(commands))
        for name in order:
            sides[name].append(measure(commands[name], root))
    return {
        "students": students,
        "sides": sides,
        "pages": (pages(root / "one.pdf"), pages(root / "roster.pdf")),
    }


def roster_table(result: dict) -> str:
    one, many = result["pages"]
    return "\n".join(
        [
            "",
            "Class sets (the default briefing; seconds, medians; ratio paired run by run):",
            "",
            "| handout pages | one handout s | roster of "
            f"{result['students']} s | roster pages | roster / one |",
            "|---:|---:|---:|---:|---:|",
            f"| {one} | {seconds(result, 'one'):.2f} | {seconds(result, 'roster'):.2f} | "
            f"{many} | {paired(result, 'roster', 'one'):.2f} |",
        ]
    )


def help_time(runs: int) -> float:
    return statistics.median(
        measure([PY, "-m", "build_report", "--help"], REPO)[0] for _ in range(runs)
    )


def paired(result: dict, side: str, over: str = "weasyprint") -> float:
    """The median of each run's ratio side / over (measured back to back in that run)."""
    a, b = result["sides"][side], result["sides"][over]
    return statistics.median(x[0] / y[0] for x, y in zip(a, b, strict=True))


def seconds(result: dict, side: str) -> float:
    return statistics.median(v[0] for v in result["sides"][side])


def mib(result: dict, side: str) -> float:
    return statistics.median(v[1] for v in result["sides"][side]) / 1024


def table(results: list[dict], help_seconds: float) -> str:
    lines = [
        "Cold builds (seconds, medians; ratios paired run by run over WeasyPrint alone):",
        "",
        "| book | pages | WeasyPrint alone s | build-report s | ratio | --jobs 1 s | ratio | "
        "pandoc → WeasyPrint s | pandoc → Typst s | Typst ratio | build-report / Typst | "
        "build-report MiB | WeasyPrint MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        has_pandoc, has_t = "pandoc" in r["sides"], "typst" in r["sides"]
        lines.append(
            f"| {r['label']} | {r['pages']} | {seconds(r, 'weasyprint'):.2f} | "
            f"{seconds(r, 'build-report'):.2f} | {paired(r, 'build-report'):.2f} | "
            f"{seconds(r, 'single'):.2f} | {paired(r, 'single'):.2f} | "
            + (f"{seconds(r, 'pandoc'):.2f} | " if has_pandoc else "not installed | ")
            + (
                f"{seconds(r, 'typst'):.2f} | {paired(r, 'typst'):.2f} | "
                f"{paired(r, 'build-report', 'typst'):.1f} | "
                if has_t
                else "not installed | | | "
            )
            + f"{mib(r, 'build-report'):.0f} | {mib(r, 'weasyprint'):.0f} |"
        )
    lines += [
        "",
        "The edit loop (the same one-paragraph edit; ratios over build-report's cold build):",
        "",
        "| book | build-report pdf after the edit s | / cold | preview --pdf, edit → PDF s | "
        "/ cold | Typst warm recompile s | cached rebuild / cold |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        cold = seconds(r, "build-report")
        edit = statistics.median(r["edit"])
        live = r.get("live")
        live_cells = (
            f"{statistics.median(live):.2f} | {statistics.median(live) / cold:.3f}"
            if live
            else "— | —"
        )
        warm = r.get("typst_warm")
        warm_cell = f"{statistics.median(warm):.3f}" if warm else "not installed"
        lines.append(
            f"| {r['label']} | {edit:.2f} | {edit / cold:.2f} | {live_cells} | {warm_cell} | "
            f"{statistics.median(r['cached']) / cold:.3f} |"
        )
    lines.append("")
    lines.append(f"`build-report --help`: {help_seconds:.3f} s (median).")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", help="xN books (comma-separated; default 1,10,50,200)")
    parser.add_argument(
        "--copies", help="cN books (comma-separated; default 50, none when --scales is given)"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--no-roster", action="store_true", help="skip the class set (handout --roster) row"
    )
    parser.add_argument("--out", type=Path, help="also write the table into this Markdown file")
    args = parser.parse_args()
    copies = args.copies if args.copies is not None else ("" if args.scales else "50")
    books = [("x", int(s)) for s in (args.scales or "1,10,50,200").split(",") if s]
    books += [("c", int(s)) for s in copies.split(",") if s]
    subprocess.run(
        [PY, "-m", "compileall", "-q", str(REPO / "builder" / "build_report")], env=ENV, check=True
    )
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        results = []
        for kind, n in books:
            root = make_project(n, Path(tmp)) if kind == "x" else make_copies(n, Path(tmp))
            # small books are quick and their ratios noisier: measure them three times as often
            runs = args.runs * 3 if kind == "x" and n <= 10 else args.runs
            results.append(bench_book(root, f"{kind}{n}", runs))
            print(f"{kind}{n} done", file=sys.stderr)
        roster = None if args.no_roster else bench_roster(Path(tmp), args.runs * 3)
    text = table(results, help_time(max(args.runs, 3)))
    if roster is not None:
        text += "\n" + roster_table(roster)
    print(text)
    if args.out:
        write_table(args.out, text)


def write_table(path: Path, text: str) -> None:
    """Replace the text between the markers in `path` (or write a new file)."""
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    block = f"{start}\n{text}\n{end}"
    old = path.read_text(encoding="utf-8") if path.exists() else f"# Benchmark\n\n{start}\n{end}\n"
    if start not in old:
        old += f"\n{start}\n{end}\n"
    path.write_text(re.sub(f"{start}.*?{end}", lambda _: block, old, flags=re.S), encoding="utf-8")


if __name__ == "__main__":
    main()
