"""Outputs: what the tool writes, and what it refuses to replace (issue 19, "outputs").

A build never deletes a folder it did not make, never replaces a file it did not write
(unless --force), never replaces a device or pipe, writes --emit-html only after success,
turns every OSError on the write path into one line, and keeps a complete html folder in
place at every instant, also when several builds run at once.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from build_report import files

from tests.conftest import MINIMAL_TOML, Project, assert_clean_error, run

HTML = Path("build/html")


@pytest.fixture(autouse=True)
def own_records(tmp_path: Path, monkeypatch) -> Path:
    """This user's record of written outputs, in the test's own folder (not the real home)."""
    state = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    return state


# Folders: only ours are replaced, never the project or what holds it.


def test_html_refuses_a_folder_it_did_not_make(project: Project, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("mine")
    message = assert_clean_error(project.build("html", "-o", docs), names="docs")
    assert ".build-report" in message and "-o" in message
    assert (docs / "a.md").read_text() == "mine"
    assert sorted(p.name for p in docs.iterdir()) == ["a.md"]


@pytest.mark.parametrize("where", ["root", "parent", "other-project"])
def test_html_never_replaces_a_folder_that_holds_a_project(
    project: Project, tmp_path: Path, where: str
) -> None:
    other = tmp_path / "other"
    (other / "chapters").mkdir(parents=True)
    (other / "report.toml").write_text(MINIMAL_TOML)
    (other / files.MARKER).write_text("forged marker")  # a marker does not make it ours
    target = {"root": project.root, "parent": project.root.parent, "other-project": other}[where]
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert_clean_error(project.build("html", "-o", target), names=str(target))
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_html_minus_o_dot_dot_is_one_line(project: Project, monkeypatch) -> None:
    monkeypatch.chdir(project.root)
    assert_clean_error(run("html", "-o", ".."), names="..")
    assert (project.root / "report.toml").is_file()


def test_html_replaces_its_own_folder_and_an_empty_one(project: Project, tmp_path: Path) -> None:
    from PIL import Image

    (project.root / "chapters" / "img").mkdir()
    Image.new("RGB", (4, 4)).save(project.root / "chapters" / "img" / "a.png")
    project.write("chapters/01-first.md", "---\ntitle: First\n---\n\n![A square](img/a.png)\n")
    assert project.build("html").exit_code == 0
    assert (project.root / HTML / "chapters").is_dir()  # a copy of images, not a project
    assert (project.root / HTML / files.MARKER).is_file()
    assert project.build("html").exit_code == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    assert project.build("html", "-o", empty).exit_code == 0
    assert (empty / "index.xhtml").is_file() and (empty / files.MARKER).is_file()


def test_html_folder_of_an_earlier_version_is_still_ours(project: Project) -> None:
    """Folders written before the marker existed are listed, file by file, in SHA256SUMS."""
    assert project.build("html").exit_code == 0
    (project.root / HTML / files.MARKER).unlink()
    assert project.build("html").exit_code == 0
    (project.root / HTML / files.MARKER).unlink()
    (project.root / HTML / "index.xhtml").write_text("edited by hand")
    assert_clean_error(project.build("html"), names="html")
    assert (project.root / HTML / "index.xhtml").read_text() == "edited by hand"


# Files: only what we wrote is replaced, unless --force.


@pytest.mark.parametrize(
    ("command", "name"),
    [("pdf", "contract.pdf"), ("epub", "thesis.epub"), ("handout", "sheet.pdf")],
)
def test_refuses_to_replace_a_file_it_did_not_write(
    project: Project, tmp_path: Path, command: str, name: str
) -> None:
    target = tmp_path / name
    target.write_bytes(b"the user's own file")
    message = assert_clean_error(project.build(command, "-o", target), names=name)
    assert "did not write" in message and "--force" in message
    assert target.read_bytes() == b"the user's own file"
    assert project.build(command, "-o", target, "--force").exit_code == 0
    assert target.read_bytes() != b"the user's own file"


def test_replaces_what_it_wrote_but_not_once_the_user_changed_it(
    project: Project, tmp_path: Path
) -> None:
    target = tmp_path / "out.pdf"
    assert project.build("pdf", "-o", target).exit_code == 0
    assert project.build("pdf", "-o", target, "--no-cache").exit_code == 0
    target.write_bytes(target.read_bytes() + b"% annotated by the user\n")
    assert_clean_error(project.build("pdf", "-o", target, "--no-cache"), names="out.pdf")
    assert target.read_bytes().endswith(b"% annotated by the user\n")


def test_sha256sums_in_the_project_vouches_for_its_outputs(project: Project, own_records) -> None:
    """Without this user's record (another machine, a container), build/SHA256SUMS vouches for
    the outputs it lists; a file it does not list, or lists with another digest, is refused."""
    other = project.root / "build" / "other.pdf"
    assert project.build("pdf", "-o", other).exit_code == 0
    for record in (own_records / "build-report" / "written").iterdir():
        record.unlink()
    assert project.build("pdf", "-o", other, "--no-cache").exit_code == 0
    other.write_bytes(b"%PDF- put here by hand")
    assert_clean_error(project.build("pdf", "-o", other, "--no-cache"), names="other.pdf")
    assert other.read_bytes() == b"%PDF- put here by hand"


def test_default_outputs_live_in_our_own_folder(project: Project) -> None:
    """build/<slug>.pdf is the tool's own name in the tool's own folder: rebuilt when changed."""
    pdf = project.root / "build" / "fixture-book.pdf"
    assert project.build("pdf").exit_code == 0
    pdf.write_bytes(b"tampered")
    assert project.build("pdf").exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF-")


def test_a_sha256sums_outside_the_project_vouches_for_nothing(
    project: Project, tmp_path: Path
) -> None:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    thesis = downloads / "thesis.epub"
    thesis.write_bytes(b"a downloaded book")
    (downloads / "SHA256SUMS").write_text(f"{files._digest(thesis)}  thesis.epub\n")
    assert_clean_error(project.build("epub", "-o", thesis), names="thesis.epub")
    assert thesis.read_bytes() == b"a downloaded book"


def test_emit_html_refuses_a_file_it_did_not_write(project: Project, tmp_path: Path) -> None:
    index = tmp_path / "index.html"
    index.write_text("my home page")
    assert_clean_error(project.build("pdf", "--emit-html", index), names="index.html")
    assert index.read_text() == "my home page"
    assert not (project.root / "build").exists()
    assert project.build("pdf", "--emit-html", index, "--force").exit_code == 0
    assert "<html" in index.read_text()


def test_output_through_a_link_is_refused(project: Project, tmp_path: Path) -> None:
    outside = tmp_path / "outside.pdf"
    outside.write_bytes(b"keep me")
    link = tmp_path / "link.pdf"
    link.symlink_to(outside)
    assert_clean_error(project.build("pdf", "-o", link), names="link.pdf")
    assert project.build("pdf", "-o", link, "--force").exit_code == 0
    assert outside.read_bytes() == b"keep me"  # --force replaces the link, not its target
    assert not link.is_symlink()


def test_devices_and_pipes_are_refused(project: Project, tmp_path: Path) -> None:
    message = assert_clean_error(project.build("pdf", "-o", "/dev/null"), names="/dev/null")
    assert "device" in message
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)
    assert_clean_error(project.build("pdf", "-o", fifo, "--force"), names="pipe.pdf")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_the_one_writer_never_replaces_a_device(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)
    with pytest.raises(files.BuildError, match="device, pipe"):
        files.write_bytes(fifo, b"data")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


# --emit-html only after the build succeeded.


def test_emit_html_is_kept_when_the_build_fails(project: Project, tmp_path: Path) -> None:
    html = tmp_path / "print.html"
    assert project.build("pdf", "--emit-html", html).exit_code == 0
    before = html.read_bytes()
    project.write("chapters/01-first.md", "---\ntitle: Changed Title\n---\n\nNew text.\n")
    project.write("report.toml", MINIMAL_TOML + "[build]\nmax_pages = 1\n")
    result = project.build("pdf", "--emit-html", html)
    assert_clean_error(result, names="max_pages")
    assert html.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["print.html"]


# Every OSError on the write path is one line, nothing half-written.


def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("command", ["pdf", "epub", "html"])
def test_out_of_inodes_is_one_line(project: Project, monkeypatch, command: str) -> None:
    monkeypatch.setattr(files.tempfile, "mkstemp", _no_space)
    monkeypatch.setattr(files.tempfile, "mkdtemp", _no_space)
    message = assert_clean_error(project.build(command), names="build")
    assert "No space left on device" in message


def test_disk_full_in_html_keeps_the_old_folder(project: Project, monkeypatch) -> None:
    from build_report.ebook import writer

    assert project.build("html").exit_code == 0
    before = sorted((project.root / HTML).rglob("*"))
    monkeypatch.setattr(writer, "open", _no_space, raising=False)
    message = assert_clean_error(project.build("html"), names="html")
    assert "No space left on device" in message
    assert sorted((project.root / HTML).rglob("*")) == before
    assert [p.name for p in (project.root / "build").iterdir() if p.name.startswith(".html")] == []


@pytest.mark.parametrize("command", ["pdf", "epub", "html"])
def test_output_dir_naming_a_file_is_one_line(project: Project, command: str) -> None:
    project.write("report.toml", MINIMAL_TOML + '[build]\noutput_dir = "f"\n')
    project.write("f", "a file")
    assert_clean_error(project.build(command), names="f")
    assert (project.root / "f").read_text() == "a file"


# The html folder swap: one complete folder in place at every instant, concurrent builds safe.


def _folder(parent: Path, text: str) -> Path:
    new = Path(files.tempfile.mkdtemp(dir=parent))
    (new / "index.xhtml").write_text(text)
    return new


def test_swap_is_one_exchange_on_linux(tmp_path: Path, monkeypatch) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("renameat2 is Linux only")
    folder = tmp_path / "html"
    files.swap_folder(_folder(tmp_path, "old"), folder)

    def never(*args):  # moving the old folder away would leave a moment without one
        raise AssertionError("renamed instead of exchanged")

    monkeypatch.setattr(files.os, "rename", never)
    new = _folder(tmp_path, "new")
    files.swap_folder(new, folder)
    assert (folder / "index.xhtml").read_text() == "new"
    assert (new / "index.xhtml").read_text() == "old"  # the caller removes it


def test_swap_interrupted_between_renames_is_repaired(tmp_path: Path, monkeypatch) -> None:
    """Where no exchange exists: a stop between the two renames leaves `.html.old`, and the
    next swap puts it back before it goes on."""
    monkeypatch.setattr(files, "_exchange", lambda a, b: False)
    folder = tmp_path / "html"
    files.swap_folder(_folder(tmp_path, "first"), folder)
    real_rename = os.rename
    calls = []

    def stopped(src, dst):
        calls.append(src)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_rename(src, dst)

    monkeypatch.setattr(files.os, "rename", stopped)
    with pytest.raises(KeyboardInterrupt):
        files.swap_folder(_folder(tmp_path, "second"), folder)
    monkeypatch.setattr(files.os, "rename", real_rename)
    assert not folder.exists() and (tmp_path / ".html.old" / "index.xhtml").is_file()
    files._restore(tmp_path / ".html.old", folder)
    assert (folder / "index.xhtml").read_text() == "first"
    files.swap_folder(_folder(tmp_path, "third"), folder)
    assert (folder / "index.xhtml").read_text() == "third"
    assert not (tmp_path / ".html.old").exists()


@pytest.mark.parametrize("exchange", [True, False])
def test_concurrent_swaps_each_end_in_a_good_folder(
    tmp_path: Path, monkeypatch, exchange: bool
) -> None:
    if not exchange:
        monkeypatch.setattr(files, "_exchange", lambda a, b: False)
    folder = tmp_path / "html"
    errors: list[BaseException] = []

    def build(n: int) -> None:
        try:
            for i in range(30):
                with files.folder_writer(folder) as staging:
                    (staging / "index.xhtml").write_text(f"{n}-{i}")
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=build, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [p.name for p in tmp_path.iterdir() if p.name != "state"] == ["html"]
    assert sorted(p.name for p in folder.iterdir()) == [files.MARKER, "index.xhtml"]


@pytest.mark.slow
def test_two_html_builds_at_once(project: Project) -> None:
    command = [sys.executable, "-m", "build_report", "html", "-C", str(project.root)]
    for _ in range(3):
        running = [
            subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            for _ in range(3)
        ]
        for process in running:
            output = process.communicate(timeout=120)[0].decode()
            assert process.returncode == 0 and "Traceback" not in output, output
    assert (project.root / HTML / "index.xhtml").is_file()
    assert not [p for p in (project.root / "build").iterdir() if p.name.startswith(".html")]


@pytest.mark.parametrize("target", ["/dev/zero", "fifo", "outside"])
def test_a_linked_sha256sums_is_never_read(project: Project, tmp_path: Path, target: str) -> None:
    """A committed `build/SHA256SUMS` link to a device, a pipe or an outside file: the build
    neither reads through it nor hangs; it replaces the link with its own list."""
    import resource

    build = project.root / "build"
    build.mkdir()
    if target == "fifo":
        os.mkfifo(tmp_path / "fifo")
        target = str(tmp_path / "fifo")
    elif target == "outside":
        (tmp_path / "outside").write_text("0" * 64 + "  ../../secret\n")
        target = str(tmp_path / "outside")
    (build / "SHA256SUMS").symlink_to(target)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    done = subprocess.run(
        [sys.executable, "-m", "build_report", "html", "-C", str(project.root)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit,
    )
    assert done.returncode == 0, done.stderr
    sums = build / "SHA256SUMS"
    assert not sums.is_symlink() and "html/index.xhtml" in sums.read_text()
    if target.endswith("outside"):
        assert (tmp_path / "outside").read_text().startswith("0" * 64)


def test_force_never_replaces_a_link_without_an_output_name(project: Project) -> None:
    """--force may replace a link named like an output (`report.pdf`), never `.profile`."""
    out = project.root.parent / "out"
    out.mkdir()
    (out / "dotfile-target").write_text("precious")
    (out / ".profile").symlink_to("dotfile-target")
    result = project.build("pdf", "-o", out / ".profile", "--force")
    assert_clean_error(result, names=".profile")
    assert (out / ".profile").is_symlink() and (out / "dotfile-target").read_text() == "precious"


def test_a_sha256sums_outside_the_project_never_vouches_for_a_folder(
    project: Project, tmp_path: Path
) -> None:
    """`html -o ~/docs/photos`, with a SHA256SUMS beside `photos` listing its files: the folder
    is the user's (a list outside the project may be anyone's), so it is never replaced."""
    import hashlib

    docs = tmp_path / "docs"
    (docs / "photos").mkdir(parents=True)
    (docs / "photos" / "a.jpg").write_bytes(b"photo")
    digest = hashlib.sha256(b"photo").hexdigest()
    (docs / "SHA256SUMS").write_text(f"{digest}  photos/a.jpg\n")
    result = project.build("html", "-o", docs / "photos")
    assert_clean_error(result, names="photos")
    assert (docs / "photos" / "a.jpg").read_bytes() == b"photo"
