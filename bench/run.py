"""Benchmark build-report against the engine alone (and pandoc, where present).

    python bench/run.py                       # x1, x10, x50, x200; 3 runs each (9 up to x10)
    python bench/run.py --scales 1 --runs 1   # what CI runs, to prove the harness works

For each scale it generates the default briefing with every chapter's text repeated N times,
then measures, in turn within each run (so machine noise hits both sides alike):

- build-report:    `python -m build_report pdf --no-cache` (a cold build, all stages)
- WeasyPrint alone: `python -c "weasyprint.HTML(filename=...).write_pdf(...)"` on the very HTML
  build-report lays out (written once beforehand with --emit-html): the floor
- pandoc:          `pandoc --pdf-engine=weasyprint` on the same chapters, when pandoc is on PATH

and reports medians of wall time and of peak memory (the largest RSS of the process and of
any child it waited for), with build-report's ratios to the floor. It also times `--help`, a
one-chapter edit rebuilt with `--jobs 0` (the parts of the other chapters reused), and a cached
rebuild. Timing goals live here, not in the test suite.
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
EDITED = "03-key-interactions.md"  # a chapter of average length (a fifth of the book)
FLOOR = "import sys, weasyprint; weasyprint.HTML(filename=sys.argv[1]).write_pdf(sys.argv[2])"


def make_project(scale: int, folder: Path) -> Path:
    root = folder / f"x{scale}"
    shutil.copytree(REPO / "styles", root / "styles")
    shutil.copy(REPO / "report.toml", root / "report.toml")
    (root / "chapters").mkdir()
    for path in sorted((REPO / "chapters").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        _, front, body = text.split("---\n", 2)
        (root / "chapters" / path.name).write_text(
            f"---\n{front}---\n" + "\n\n".join([body.strip()] * scale) + "\n", encoding="utf-8"
        )
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


def bench_scale(scale: int, runs: int, folder: Path) -> dict:
    root = make_project(scale, folder)
    html = root / "print.html"
    subprocess.run(
        [
            PY,
            "-m",
            "build_report",
            "pdf",
            "-C",
            str(root),
            "-o",
            str(root / "warm.pdf"),
            "--emit-html",
            str(html),
            "--no-cache",
        ],
        check=True,
        capture_output=True,
    )
    sides: dict[str, list[tuple[float, int]]] = {
        "build-report": [],
        "parallel": [],
        "weasyprint": [],
        "pandoc": [],
    }
    pandoc = find_pandoc()
    chapters = sorted(str(p) for p in (root / "chapters").glob("*.md"))
    commands = {
        "build-report": [
            PY,
            "-m",
            "build_report",
            "pdf",
            "--no-cache",
            "-C",
            str(root),
            "-o",
            "a.pdf",
        ],
        "parallel": [
            PY,
            "-m",
            "build_report",
            "pdf",
            "--no-cache",
            "--jobs",
            "0",
            "-C",
            str(root),
            "-o",
            "p.pdf",
        ],
        "weasyprint": [PY, "-c", FLOOR, str(html), "b.pdf"],
    }
    if pandoc:
        commands["pandoc"] = [pandoc, *chapters, "--pdf-engine=weasyprint", "-o", "c.pdf"]
    for run in range(runs):
        # Alternate the order, so that whatever the first process of a round pays (a cold
        # file cache, a CPU still clocking up) falls on each side in turn.
        order = list(commands) if run % 2 == 0 else list(reversed(commands))
        for name in order:
            sides[name].append(measure(commands[name], root))
    # a one-chapter edit: the parts of a --jobs 0 build are kept, one chapter changes each run
    edit = [PY, "-m", "build_report", "pdf", "--jobs", "0", "-C", str(root), "-o", "e.pdf"]
    subprocess.run(edit, cwd=root, check=True, capture_output=True)
    edited = root / "chapters" / EDITED
    text = edited.read_text(encoding="utf-8")
    edits = []
    for run in range(runs):
        edited.write_text(text + f"\nA sentence added in edit {run + 1}.\n", encoding="utf-8")
        edits.append(measure(edit, root))
    edited.write_text(text, encoding="utf-8")
    # the cache: an unchanged project, built again
    subprocess.run(
        [PY, "-m", "build_report", "pdf", "-C", str(root), "-o", "a.pdf"],
        cwd=root,
        check=True,
        capture_output=True,
    )
    cached = [
        measure([PY, "-m", "build_report", "pdf", "-C", str(root), "-o", "a.pdf"], root)
        for _ in range(runs)
    ]
    result = {"scale": scale, "pages": pages(root / "a.pdf"), "cached": cached, "edit": edits}
    for name, values in sides.items():
        if values:
            result[name] = (
                statistics.median(v[0] for v in values),
                statistics.median(v[1] for v in values),
            )
    return result


def help_time(runs: int) -> float:
    return statistics.median(
        measure([PY, "-m", "build_report", "--help"], REPO)[0] for _ in range(runs)
    )


def table(results: list[dict], help_seconds: float) -> str:
    lines = [
        "| scale | pages | build-report s | WeasyPrint alone s | time ratio | --jobs 0 s | "
        "--jobs 0 ratio | build-report MiB | WeasyPrint MiB | memory ratio | pandoc s | "
        "one-chapter edit s | edit / cold | cached rebuild / cold |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ours, floor = r["build-report"], r["weasyprint"]
        pandoc = f"{r['pandoc'][0]:.2f}" if "pandoc" in r else "not installed"
        cached = statistics.median(v[0] for v in r["cached"]) / ours[0]
        edit = statistics.median(v[0] for v in r["edit"])
        par = r["parallel"]
        lines.append(
            f"| x{r['scale']} | {r['pages']} | {ours[0]:.2f} | {floor[0]:.2f} | "
            f"{ours[0] / floor[0]:.2f} | {par[0]:.2f} | {par[0] / floor[0]:.2f} | "
            f"{ours[1] / 1024:.0f} | {floor[1] / 1024:.0f} | "
            f"{ours[1] / floor[1]:.2f} | {pandoc} | {edit:.2f} | {edit / ours[0]:.2f} | "
            f"{cached:.3f} |"
        )
    lines.append("")
    lines.append(f"`build-report --help`: {help_seconds:.3f} s (median).")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", default="1,10,50,200")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, help="also write the table into this Markdown file")
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    subprocess.run(
        [PY, "-m", "compileall", "-q", str(REPO / "builder" / "build_report")], env=ENV, check=True
    )
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        results = []
        for scale in scales:
            # small books are quick and their ratios noisier: measure them three times as often
            runs = args.runs * 3 if scale <= 10 else args.runs
            results.append(bench_scale(scale, runs, Path(tmp)))
            print(f"x{scale} done", file=sys.stderr)
    text = table(results, help_time(max(args.runs, 3)))
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
