"""The build cache is untrusted input: `build/` may be committed to a repository by a stranger.

Records are authenticated with a per-user key kept outside the project, so nothing forged
under build/.cache is reused; symbolic links in the cache path are refused; a record's inputs
are read only inside the project (regular files, size-capped); pruning deletes only our own
entries; and a corrupted entry is a miss, never a traceback.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from build_report import cache
from build_report.pdf.adapter import Rendered
from pypdf import PdfReader

from tests.conftest import Project, assert_clean_error, new_project, normalize, run

KEY_ENV = "BUILD_REPORT_CACHE_KEY_DIR"
CHAPTERS = {
    "01-a.md": "---\ntitle: Alpha\n---\n\nThe alpha chapter speaks of apples.\n",
    "02-b.md": "---\ntitle: Beta\n---\n\nThe beta chapter speaks of bananas.\n",
    "03-c.md": "---\ntitle: Gamma\n---\n\nThe gamma chapter speaks of cherries.\n",
}
PAYLOAD = "INJECTEDPAYLOADTEXT"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch) -> Path:
    """The victim's key lives in a temporary folder, never in the real home; every chapter is
    a part of its own under --jobs; the clock is pinned so that builds are comparable."""
    from build_report.pdf import parallel

    key_dir = tmp_path / "victim-key"
    monkeypatch.setenv(KEY_ENV, str(key_dir))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setattr(parallel, "PART_CHARS", 1)
    return key_dir


def make_book(root: Path) -> Project:
    book = new_project(root)
    for name, text in CHAPTERS.items():
        book.write(f"chapters/{name}", text)
    return book


@pytest.fixture
def book(tmp_path: Path) -> Project:
    return make_book(tmp_path / "victim" / "book")


def build(book: Project, *args: str) -> str:
    """A verbose build that must succeed without a traceback; its output."""
    result = run("-v", "pdf", "-C", book.root, *args)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and result.exception is None, result.output
    return result.output


def pdf_text(path: Path) -> str:
    return normalize("".join(page.extract_text() for page in PdfReader(path).pages))


def parts_folder(book: Project) -> Path:
    return book.root / "build" / ".cache" / "parts"


def part_records(book: Project) -> list[Path]:
    return sorted(parts_folder(book).glob("*.json"))


def main_records(book: Project) -> list[Path]:
    return sorted((book.root / "build" / ".cache").glob("pdf-*.json"))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail instead of hanging when the code under test blocks (a FIFO read, say)."""

    def expired(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- 1. a forged part -----------------------------------------------------------------------


def _forge_part(attacker: Project) -> None:
    """What a stranger commits: the part of chapter "Alpha" replaced by one that says PAYLOAD,
    under the same name, with its digest updated and `"inputs": []`."""
    build(attacker, "--jobs", "2")
    before = {p.name for p in part_records(attacker)}
    alpha = next(p for p in part_records(attacker) if "apples" in pdf_text(p.with_suffix(".pdf")))
    attacker.write("chapters/01-a.md", CHAPTERS["01-a.md"].replace("apples", PAYLOAD))
    build(attacker, "--jobs", "2")
    payload = next(
        p.with_suffix(".pdf")
        for p in part_records(attacker)
        if p.name not in before and normalize(PAYLOAD) in pdf_text(p.with_suffix(".pdf"))
    )
    data = payload.read_bytes()
    record = json.loads(alpha.read_text())
    record.update(
        pages=json.loads(payload.with_suffix(".json").read_text())["pages"],
        sha256=hashlib.sha256(data).hexdigest(),
        inputs=[],
        inputs_key=hashlib.sha256().hexdigest(),
    )
    alpha.with_suffix(".pdf").write_bytes(data)
    alpha.write_text(json.dumps(record))
    attacker.write("chapters/01-a.md", CHAPTERS["01-a.md"])  # the innocent text is committed


def test_forged_part_from_a_stranger_is_not_stitched(tmp_path: Path, monkeypatch) -> None:
    attacker = make_book(tmp_path / "attacker" / "book")
    monkeypatch.setenv(KEY_ENV, str(tmp_path / "attacker-key"))
    _forge_part(attacker)
    victim = make_book(tmp_path / "victim" / "book")
    shutil.copytree(attacker.root / "build", victim.root / "build")  # cloned with the repo
    monkeypatch.setenv(KEY_ENV, str(tmp_path / "victim-key"))
    output = build(victim, "--jobs", "2")
    pdf = victim.root / "build" / "fixture-book.pdf"
    assert normalize(PAYLOAD) not in pdf_text(pdf)
    assert "apples" in pdf_text(pdf)
    assert "laying out 3 of 3 parts" in output, output


# --- 2. a forged main-cache record ----------------------------------------------------------


def test_forged_main_record_does_not_keep_a_forged_pdf(book: Project) -> None:
    build(book)
    pdf = book.root / "build" / "fixture-book.pdf"
    forged = b"%PDF-1.4\n% forged by a stranger\n"
    pdf.write_bytes(forged)
    for entry in main_records(book):
        record = json.loads(entry.read_text())
        record["sha256"] = hashlib.sha256(forged).hexdigest()
        entry.write_text(json.dumps(record))
    result = run("-v", "pdf", "-C", book.root)
    assert "up to date" not in result.output
    if result.exit_code == 0:  # rebuilt
        assert pdf.read_bytes() != forged
    else:  # or refused to replace a file that is not ours: either way, not vouched for
        assert_clean_error(result, names="fixture-book.pdf")


def test_records_made_with_another_key_are_not_trusted(book: Project, tmp_path, monkeypatch):
    """A record is only as good as the key it was made with: one made by someone else (here:
    the same project built under another user's key) is rebuilt, never reused."""
    monkeypatch.setenv(KEY_ENV, str(tmp_path / "someone-else"))
    build(book)
    assert "up to date" in build(book)
    monkeypatch.setenv(KEY_ENV, str(tmp_path / "victim-key"))
    assert "up to date" not in build(book)
    assert "up to date" in build(book)


# --- 3. symbolic links and pruning ----------------------------------------------------------


def _outside_with_entries(folder: Path, count: int = 70) -> None:
    """Files that look like cache entries (our names, old times), outside the project."""
    folder.mkdir(parents=True)
    for i in range(count):
        for suffix in (".json", ".pdf"):
            path = folder / f"{i:040x}{suffix}"
            path.write_text("precious")
            os.utime(path, (1_000_000 + i, 1_000_000 + i))
    (folder / "precious.json").write_text("{}")
    os.utime(folder / "precious.json", (1000, 1000))


@pytest.mark.parametrize("link", ["build/.cache", "build/.cache/parts"])
def test_symlinked_cache_is_neither_written_nor_pruned(book: Project, tmp_path, link) -> None:
    outside = tmp_path / "outside"
    _outside_with_entries(outside / "parts" if link == "build/.cache" else outside)
    (book.root / link).parent.mkdir(parents=True, exist_ok=True)
    (book.root / link).symlink_to(outside, target_is_directory=True)
    before = {p.relative_to(outside): p.read_bytes() for p in outside.rglob("*") if p.is_file()}
    build(book)
    build(book, "--jobs", "2")
    after = {p.relative_to(outside): p.read_bytes() for p in outside.rglob("*") if p.is_file()}
    assert after == before
    assert (book.root / "build" / "fixture-book.pdf").is_file()


def test_pruning_removes_only_our_own_entries(book: Project, tmp_path: Path) -> None:
    parts = parts_folder(book)
    parts.mkdir(parents=True)
    for i in range(70):  # stale entries of ours: beyond the limit, the oldest go
        for suffix in (".json", ".pdf"):
            (parts / f"{i:040x}{suffix}").write_text("stale")
            os.utime(parts / f"{i:040x}{suffix}", (1_000_000 + i, 1_000_000 + i))
    foreign = [parts / "notes.json", parts / "notes.pdf"]
    for path in foreign:
        path.write_text("not ours")
        os.utime(path, (1000, 1000))
    (parts / "folder.json").mkdir()
    target = tmp_path / "target.json"
    target.write_text("outside")
    link = parts / f"{'f' * 40}.json"
    link.symlink_to(target)
    os.utime(link, (1000, 1000), follow_symlinks=False)

    build(book, "--jobs", "2")
    assert all(path.read_text() == "not ours" for path in foreign)
    assert (parts / "folder.json").is_dir()
    assert target.read_text() == "outside"
    ours = [p for p in parts.glob("*.json") if len(p.stem) == 40 and not p.is_symlink()]
    assert len(ours) <= cache.PART_LIMIT


# --- 4. inputs outside the project, devices, FIFOs ------------------------------------------


def _limited() -> None:
    """In the child: a wrong fix fails with MemoryError instead of eating the machine."""
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


def test_a_part_record_naming_dev_zero_is_a_miss(book: Project, isolated: Path) -> None:
    env = {**os.environ, KEY_ENV: str(isolated)}
    command = [sys.executable, "-m", "build_report", "-v", "pdf", "-C", str(book.root)]
    command += ["--jobs", "2"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert part_records(book)
    for entry in part_records(book):
        record = json.loads(entry.read_text())
        record["inputs"] = ["/dev/zero"]
        entry.write_text(json.dumps(record))
    again = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, preexec_fn=_limited
    )
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr + again.stdout
    assert "unchanged" not in again.stderr + again.stdout


def _fifo(book: Project) -> Path:
    path = book.root / "chapters" / "pipe.png"
    os.mkfifo(path)
    return path


def _outside(book: Project) -> Path:
    path = book.root.parent / "outside.png"
    path.write_bytes(b"\x89PNG outside")
    return path


def _linked_fifo(book: Project) -> Path:
    """A link inside the project to a FIFO outside (a device would do: a FIFO cannot eat
    memory when a regression reads it, it blocks, and `deadline` ends that)."""
    fifo = book.root.parent / "outside-pipe"
    os.mkfifo(fifo)
    path = book.root / "chapters" / "zero.png"
    path.symlink_to(fifo)
    return path


def _oversized(book: Project) -> Path:
    path = book.root / "chapters" / "huge.png"
    with path.open("wb") as handle:
        handle.truncate(cache.MAX_INPUT_BYTES + 1)
    return path


@pytest.mark.parametrize(
    "make", [_fifo, _outside, _linked_fifo, _oversized], ids=lambda f: f.__name__
)
def test_a_part_is_not_reused_on_inputs_we_must_not_read(
    book: Project, make: Callable[[Project], Path]
) -> None:
    """Even a record of our own (signed with our key) is a miss when an input is not a
    regular file inside the project of at most MAX_INPUT_BYTES: the gatekeeper never serves
    one, so such a record can only be a forgery or a changed project."""
    (book.root / "build").mkdir()
    store = cache.PartStore(book.root / "build", book.root)
    with deadline(10):
        store.put("<html>part</html>", Rendered(b"%PDF-1.4\n", 1, [], (make(book),)))
        again = cache.PartStore(book.root / "build", book.root)
        assert again.get("<html>part</html>") is None


def test_the_input_limit_is_the_gatekeepers() -> None:
    from build_report.resources import MAX_RESOURCE_BYTES

    assert cache.MAX_INPUT_BYTES == MAX_RESOURCE_BYTES


def test_a_clean_part_is_reused(book: Project) -> None:
    """The other side of the tests above: a record of ours on project files is reused."""
    image = book.root / "chapters" / "a.png"
    image.write_bytes(b"\x89PNG inside")
    (book.root / "build").mkdir()
    cache.PartStore(book.root / "build", book.root).put(
        "<html>part</html>", Rendered(b"%PDF-1.4\n", 2, [], (image,))
    )
    found = cache.PartStore(book.root / "build", book.root).get("<html>part</html>")
    assert found is not None and found.pages == 2 and found.inputs == (image.resolve(),)
    image.write_bytes(b"\x89PNG changed")
    assert cache.PartStore(book.root / "build", book.root).get("<html>part</html>") is None


# --- 5. corrupted entries -------------------------------------------------------------------


CORRUPTIONS: dict[str, Callable[[dict], bytes]] = {
    "pages-not-a-number": lambda r: json.dumps({**r, "pages": "x"}).encode(),
    "missing-keys": lambda r: json.dumps(
        {k: v for k, v in r.items() if k not in ("shown", "pages")}
    ).encode(),
    "a-list": lambda r: json.dumps([r]).encode(),
    "null": lambda r: b"null",
    "binary": lambda r: bytes(range(256)) * 4,
    "deep-nesting": lambda r: b"[" * 200_000,
}


@pytest.mark.parametrize("corrupt", CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_corrupted_entries_are_a_miss(book: Project, corrupt: Callable[[dict], bytes]) -> None:
    build(book, "--jobs", "2")
    entries = main_records(book) + part_records(book)
    assert main_records(book) and part_records(book)
    for entry in entries:
        entry.write_bytes(corrupt(json.loads(entry.read_text())))
    output = build(book, "--jobs", "2")
    assert "up to date" not in output and "laying out 3 of 3 parts" in output, output
    assert "up to date" in build(book, "--jobs", "2")  # and the cache heals


# --- the key --------------------------------------------------------------------------------


def test_the_key_is_made_once_private_and_outside_the_project(isolated: Path) -> None:
    first = cache.secret()
    key = isolated / "key"
    assert key.read_bytes() == first and len(first) == 32
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    cache._KEYS.clear()  # a later run reads the same key
    assert cache.secret() == first


def test_the_key_follows_xdg_cache_home(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(KEY_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    cache.secret()
    assert (tmp_path / "xdg" / "build-report" / "key").is_file()


def test_a_symlinked_key_is_not_followed(isolated: Path, tmp_path: Path) -> None:
    known = tmp_path / "known"
    known.write_bytes(b"A" * 32)
    isolated.mkdir()
    (isolated / "key").symlink_to(known)
    assert cache.secret() != b"A" * 32
    assert known.read_bytes() == b"A" * 32


@pytest.mark.parametrize("mode", [0o644, 0o660])
def test_a_key_others_can_read_is_not_used(isolated: Path, mode: int) -> None:
    isolated.mkdir()
    (isolated / "key").write_bytes(b"B" * 32)
    os.chmod(isolated / "key", mode)
    assert cache.secret() != b"B" * 32


def test_an_unusable_home_never_fails_the_build(book: Project, tmp_path, monkeypatch) -> None:
    """No writable cache folder: the key lives in memory, reused only within this run."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.delenv(KEY_ENV)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(blocker))
    build(book)
    assert "up to date" in build(book)
    assert blocker.read_text() == ""
