"""Distribution: PDF/A and PDF/UA, reproducible bytes, SHA256SUMS, and `all`."""

from __future__ import annotations

import datetime
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import REPO, Project, run


def xmp(path: Path) -> str:
    root = PdfReader(path).trailer["/Root"]
    return root["/Metadata"].get_object().get_data().decode("utf-8")


@pytest.mark.parametrize(
    ("variant", "marker"), [("pdf/a-3b", "pdfaid:part"), ("pdf/ua-1", "pdfuaid:part")]
)
def test_pdf_variants_declare_themselves(project: Project, variant: str, marker: str) -> None:
    out = project.root / "v.pdf"
    result = project.build("pdf", "--pdf-variant", variant, "-o", out)
    assert result.exit_code == 0, result.output
    meta = xmp(out)
    assert marker in meta
    assert "Fixture Book" in meta  # the title flows into XMP
    assert PdfReader(out).trailer["/Root"]["/Lang"] == "en-US"


def test_pdf_ua_is_tagged_with_alt_text(project: Project) -> None:
    from PIL import Image

    (project.root / "chapters" / "img").mkdir()
    Image.new("RGB", (20, 20), (0, 0, 0)).save(project.root / "chapters" / "img" / "a.png")
    project.write("chapters/01-first.md", "---\ntitle: A\n---\n\n![A black square](img/a.png)\n")
    out = project.root / "ua.pdf"
    assert project.build("pdf", "--pdf-variant", "pdf/ua-1", "-o", out).exit_code == 0
    root = PdfReader(out).trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert "A black square" in _struct_alts(root)


def _struct_alts(root) -> str:
    found = []

    def walk(node, depth=0) -> None:
        if depth > 60:
            return
        node = node.get_object()
        if isinstance(node, dict):
            if "/Alt" in node:
                found.append(str(node["/Alt"]))
            kids = node.get("/K")
            if kids is not None:
                for kid in kids if isinstance(kids, list) else [kids]:
                    walk(kid, depth + 1)

    walk(root["/StructTreeRoot"])
    return " ".join(found)


def _build_in(folder: Path, tz: str) -> dict[str, str]:
    shutil.copytree(
        REPO, folder, ignore=shutil.ignore_patterns("build", ".git", "tests", "docs", "bench")
    )
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "TZ": tz}
    digests = {}
    for command, name in (("pdf", "a.pdf"), ("epub", "a.epub"), ("handout", "h.pdf")):
        subprocess.run(
            [sys.executable, "-m", "build_report", command, "-C", str(folder), "-o", name],
            cwd=folder,
            env=env,
            check=True,
            capture_output=True,
        )
        digests[name] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    return digests


@pytest.mark.slow
def test_reproducible_with_source_date_epoch(tmp_path: Path) -> None:
    first = _build_in(tmp_path / "one", "UTC")
    second = _build_in(tmp_path / "two" / "deeper", "Pacific/Auckland")
    assert first == second
    reader = PdfReader(tmp_path / "one" / "a.pdf")
    assert reader.metadata.creation_date.year == 2023  # 1700000000 is November 2023


def test_dates_are_real_without_source_date_epoch(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    out = tmp_path / "now.pdf"
    subprocess.run(
        [sys.executable, "-m", "build_report", "pdf", "-C", str(REPO), "-o", str(out)],
        env=env,
        check=True,
        capture_output=True,
    )
    created = PdfReader(out).metadata.creation_date
    now = datetime.datetime.now(datetime.UTC)
    assert abs((now - created.astimezone(datetime.UTC)).total_seconds()) < 600


def test_all_writes_every_output_with_sums(tmp_path: Path) -> None:
    root = tmp_path / "book"
    shutil.copytree(REPO, root, ignore=shutil.ignore_patterns("build", ".git", "tests", "docs"))
    result = run("all", "-C", root)
    assert result.exit_code == 0, result.output
    build = root / "build"
    expected = [
        "trump-putin.pdf",
        "trump-putin.epub",
        "trump-putin-handout-student.pdf",
        "trump-putin-handout-teacher.pdf",
    ]
    for name in expected:
        assert (build / name).is_file(), name
        assert f"build/{name}" in result.output
    assert (build / "html" / "index.xhtml").is_file()
    lines = result.output.splitlines()
    assert lines[0].split() == ["path", "pages", "size"]
    assert len(lines) == 6
    sums = (build / "SHA256SUMS").read_text().splitlines()
    listed = {line.split("  ", 1)[1]: line.split("  ", 1)[0] for line in sums}
    for name in [*expected, "html/index.xhtml", "html/styles/screen.css"]:
        assert listed[name] == hashlib.sha256((build / name).read_bytes()).hexdigest()
    assert "SHA256SUMS" not in listed


def test_sums_accumulate_across_commands(project: Project) -> None:
    assert project.build("pdf").exit_code == 0
    assert project.build("epub").exit_code == 0
    sums = (project.root / "build" / "SHA256SUMS").read_text()
    assert "fixture-book.pdf" in sums and "fixture-book.epub" in sums
    (project.root / "build" / "fixture-book.pdf").unlink()
    assert project.build("epub").exit_code == 0
    assert "fixture-book.pdf" not in (project.root / "build" / "SHA256SUMS").read_text()


@pytest.mark.slow
def test_wheel_installs_and_builds_in_a_clean_venv(tmp_path: Path) -> None:
    """A wheel, installed non-editable in a clean virtual environment, makes a new project in
    another folder and builds there; it installs `build_report` and no top-level `builder`."""
    import zipfile

    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        check=True,
    )
    (wheel,) = tmp_path.glob("build_report-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        tops = {name.split("/")[0] for name in archive.namelist()}
        assert "build_report" in tops and "builder" not in tops, tops
        assert "build_report/skeleton/styles/fonts/CharisSIL-Regular.ttf" in archive.namelist()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([venv / "bin" / "pip", "install", "-q", str(wheel)], check=True)
    tool = venv / "bin" / "build-report"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def ok(*args: str) -> str:
        done = subprocess.run(
            [str(tool), *args], cwd=elsewhere, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    ok("init", "project", "--title", "Wheel Test")
    ok("pdf", "-C", "project", "-o", "w.pdf")
    assert PdfReader(elsewhere / "w.pdf").metadata.title == "Wheel Test"
    assert "EPUBCheck: no errors or warnings" in ok("epub", "-C", "project", "--check")
    ok("handout", "-C", "project")
    assert list((elsewhere / "project" / "build").glob("*-handout-student.pdf"))
    version = subprocess.run(
        [venv / "bin" / "python", "-m", "build_report", "--version"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "build-report, version 0.1.0" in version.stdout
    where = subprocess.run(
        [venv / "bin" / "python", "-c", "import build_report; print(build_report.__file__)"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(venv))
