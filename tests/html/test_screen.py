"""The HTML and EPUB as a reader sees them: in headless Chromium, at phone and desktop widths,
light and dark, and under an e-reader's night theme."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from tests.browser import headless_chromium
from tests.conftest import REPO, run

XHTML = "{http://www.w3.org/1999/xhtml}"
PAGES = ("index.xhtml", "introduction.xhtml", "genesis.xhtml", "impacts.xhtml")

# Every element with text of its own: its colour against the first opaque background behind
# it, as WCAG computes contrast. Returns the pairs below `minimum`; with `boxes_only`, only text
# on a background of ours (a box), not on the page's.
CONTRAST = """
const minimum = arguments[0], boxesOnly = arguments[1];
function rgb(text) { const m = text.match(/[\\d.]+/g) || []; return m.map(Number); }
function lum(c) {
  const [r, g, b] = c.slice(0, 3).map(v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function backdrop(el) {
  for (let e = el; e; e = e.parentElement) {
    const c = rgb(getComputedStyle(e).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return [c, e];
  }
  return [rgb(getComputedStyle(document.documentElement).backgroundColor), document.body];
}
const bad = [];
for (const el of document.body.querySelectorAll('*')) {
  const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  if (!own || !el.getClientRects().length) continue;
  const [bg, owner] = backdrop(el);
  if (boxesOnly && (owner === document.body || owner === document.documentElement)) continue;
  const fg = rgb(getComputedStyle(el).color);
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  const ratio = (a + 0.05) / (b + 0.05);
  if (ratio < minimum) bad.push(el.tagName + '.' + el.className + ' ' + ratio.toFixed(2));
}
return bad;
"""
NIGHT_THEME = """
const s = document.createElement('style');
s.textContent = 'html, body { background: #000 !important; color: #d8d8d8 !important; }';
document.head.appendChild(s);
"""


@pytest.fixture(scope="module")
def html_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("screen") / "html"
    result = run("html", "-C", REPO, "-o", out)
    assert result.exit_code == 0, result.output
    return out


def test_every_document_has_a_viewport_and_both_schemes(html_folder: Path) -> None:
    for path in html_folder.glob("*.xhtml"):
        head = etree.parse(str(path)).getroot().find(f"{XHTML}head")
        metas = {m.get("name"): m.get("content") for m in head.iter(f"{XHTML}meta")}
        assert metas.get("viewport") == "width=device-width, initial-scale=1", path.name
        assert metas.get("color-scheme") == "light dark", path.name


@pytest.fixture(scope="module")
def browser():
    with headless_chromium() as driver:
        yield driver


def look(browser, page: Path, width: int, scheme: str) -> None:
    browser.set_window_size(width, 900)
    browser.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
    )
    browser.get(page.as_uri())


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1280])
def test_every_text_has_4_5_to_1_contrast(html_folder: Path, browser, width: int, scheme: str):
    for name in PAGES:
        look(browser, html_folder / name, width, scheme)
        assert browser.execute_script(CONTRAST, 4.5, False) == [], (name, width, scheme)


@pytest.mark.slow
def test_a_night_theme_leaves_no_box_unreadable(html_folder: Path, browser) -> None:
    """A reader's night theme darkens the page (html, body); a box that kept its light
    background must keep dark text on it (it once left editorial text at 1.08:1)."""
    for name in PAGES:
        look(browser, html_folder / name, 390, "light")
        browser.execute_script(NIGHT_THEME)
        assert browser.execute_script(CONTRAST, 4.5, True) == [], name
        boxes = browser.execute_script("return document.querySelectorAll('.editorial').length")
        assert name == "index.xhtml" or boxes > 0


@pytest.mark.slow
def test_phone_text_is_readable_and_hyphenated(html_folder: Path, browser) -> None:
    look(browser, html_folder / "genesis.xhtml", 390, "light")
    size = browser.execute_script(
        "return parseFloat(getComputedStyle(document.querySelector('.chapter-body p')).fontSize)"
    )
    assert size >= 16
    hyphens = browser.execute_script(
        "return getComputedStyle(document.querySelector('.chapter-body p')).hyphens"
    )
    assert hyphens == "auto"
    wide = browser.execute_script("return document.documentElement.scrollWidth")
    assert wide <= 390


@pytest.mark.slow
def test_the_cover_is_shown_once(html_folder: Path, browser) -> None:
    look(browser, html_folder / "index.xhtml", 1280, "light")
    fill = browser.execute_script(
        "return getComputedStyle(document.querySelector('.cover')).backgroundColor"
    )
    assert fill in ("rgba(0, 0, 0, 0)", "transparent")  # a title page, not the cover again
