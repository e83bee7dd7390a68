"""What a typesetter checks on every page, as functions tests can call on any PDF: glyphs
drawn with no font behind them, and ink past the margins (a table or a line running off)."""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
from pathlib import Path

MM = 72 / 25.4


def _to_unicode(font) -> dict[int, str]:
    """The CID -> text map of a Type0 font: it lists every glyph the font draws."""
    data = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    out: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            out[int(src, 16)] = bytes.fromhex(dst).decode("utf-16-be", "replace")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        ranges = re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block)
        for first, last, dst in ranges:
            for cid in range(int(first, 16), int(last, 16) + 1):
                out[cid] = chr(int(dst, 16) + cid - int(first, 16))
    return out


def notdef_characters(path: Path) -> set[str]:
    """Characters drawn with a glyph the embedded font does not have (CID 0, or an id past the
    font's last glyph: what the engine writes when no font has the character). Read from the
    PDF's own fonts, not from the engine's log."""
    from fontTools.ttLib import TTFont
    from pypdf import PdfReader

    found: set[str] = set()
    seen: set[int] = set()
    for page in PdfReader(path).pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            if id(font) in seen or "/DescendantFonts" not in font or "/ToUnicode" not in font:
                continue
            seen.add(id(font))
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            key = next((k for k in ("/FontFile2", "/FontFile3") if k in descriptor), None)
            if key is None:
                continue
            data = descriptor[key].get_object().get_data()
            glyphs = TTFont(io.BytesIO(data))["maxp"].numGlyphs
            found |= {t for cid, t in _to_unicode(font).items() if cid == 0 or cid >= glyphs}
    return found


def pages_with_ink_in_the_side_margins(path: Path, strip_mm: float, skip: int = 1) -> list[int]:
    """Pages (1-based, after the first `skip`) with anything drawn within `strip_mm` of the left
    or right edge of the paper: text, a table or an image running past the text block."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(
            ["pdftoppm", "-png", "-r", "40", "-f", str(skip + 1), str(path), f"{folder}/p"],
            check=True,
        )
        bad = []
        for png in sorted(Path(folder).glob("p-*.png")):
            image = Image.open(png).convert("L")
            width, height = image.size
            strip = round(strip_mm / 25.4 * 40)
            for box in ((0, 0, strip, height), (width - strip, 0, width, height)):
                if image.crop(box).getextrema()[0] < 200:  # anything darker than a faint tint
                    bad.append(int(png.stem.split("-")[-1]))
                    break
        return bad
