"""Live preview in a real browser: an edit to a chapter appears without a manual reload."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser import headless_chromium
from tests.conftest import Project

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
if not (CHROMIUM and CHROMEDRIVER) and not os.environ.get("CI"):
    pytest.skip(
        "chromium and chromedriver are installed by scripts/system-deps.sh", allow_module_level=True
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(project: Project):
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "build_report",
            "preview",
            "-C",
            str(project.root),
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/__build_report__/version", timeout=1).read()
            break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("the preview server did not start: " + process.stderr.read().decode())
    yield base
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=20)


@pytest.fixture
def browser():
    with headless_chromium() as driver:
        yield driver


def wait_for(driver, text: str, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in driver.page_source:
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
def test_edit_appears_without_reload(project: Project, server: str, browser) -> None:
    browser.get(server + "/first.xhtml")
    assert wait_for(browser, "Hello from the first")
    marker = browser.execute_script("window.notReloaded = 'still'; return window.notReloaded")
    assert marker == "still"
    project.write("chapters/01-first.md", "---\ntitle: First Chapter\n---\n\nAn edit appears.\n")
    assert wait_for(browser, "An edit appears"), browser.page_source[:500]
    # the page reloaded itself (our marker is gone), we never called refresh()
    assert browser.execute_script("return window.notReloaded === undefined")


@pytest.mark.slow
def test_errors_show_in_the_page_and_the_server_keeps_running(
    project: Project, server: str, browser
) -> None:
    browser.get(server + "/first.xhtml")
    assert wait_for(browser, "Hello from the first")
    project.write("chapters/01-first.md", "---\ntitle: [broken\n---\n")
    assert wait_for(browser, "could not be rebuilt")
    assert "chapters/01-first.md" in browser.page_source
    project.write("chapters/01-first.md", "---\ntitle: Fixed\n---\n\nBack again.\n")
    assert wait_for(browser, "Back again")


def test_print_mode_serves_the_print_layout(project: Project) -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "build_report",
            "preview",
            "--print",
            "-C",
            str(project.root),
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        page = b""
        while time.monotonic() < deadline:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        assert b"styles/print.css" in page and b"First Chapter" in page
        css = urllib.request.urlopen(f"http://127.0.0.1:{port}/styles/print.css", timeout=5).read()
        assert b"@page" in css
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/../../etc/passwd", timeout=5)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


def test_reload_script_is_never_in_built_files(project: Project) -> None:
    assert project.build("html").exit_code == 0
    for path in Path(project.root / "build" / "html").rglob("*.xhtml"):
        assert "<script" not in path.read_text()
