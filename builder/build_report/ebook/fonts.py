"""The ebook carries the fonts its text uses, cut down to the characters it uses.

The stylesheets chain a face for every script (styles/tokens.css); an English ebook needs none
of the Arabic, Devanagari or CJK faces, and of Charis SIL only the few hundred glyphs its text
shows. So, for each `@font-face` of the copied stylesheets:
- a face of a family that leads a `font-family` list (Charis SIL, Inter, JetBrains Mono) is
  kept when the text uses any character it has;
- a face of a family that only follows in the lists (the Noto faces for other scripts) is
  kept when the text uses a character it has and no leading face of its weight and style has;
- the others lose their rule and their file;
- a kept face is subset (fontTools) to the characters of the text it has, keeping every OpenType
  layout feature, which Arabic joining and Indic conjuncts need.

Licences: every face we ship is under the SIL Open Font License, which allows modified
versions, subsets included, bundled with a document. Charis SIL reserves its name, and a
modified version may not use a reserved name, so every subset is renamed inside the font
("build-report subset N"); the CSS refers to it by the stylesheet's family name, so readers
see no difference. The licence and copyright records of the font stay in it.

Speed: subsetting a face with large layout tables takes most of a second, so each subset is
kept in the user's cache folder (beside the cache key, cache.key_folder()), sealed with the
key, and named by the font, the characters and the fontTools version. The characters are
padded with the whole of Basic Latin, Latin-1 and General Punctuation where the face has them,
so that an edit rarely changes the set and the next build finds its subsets made.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from pathlib import Path

from build_report.fonts import choose, faces, leading_families

FONT_SUFFIXES = (".ttf", ".otf")
MAX_SUBSET_BYTES = 32 * 1024 * 1024
PADDING = frozenset([*range(0x20, 0x7F), *range(0xA0, 0x100), *range(0x2000, 0x2070)])
NAME_IDS = (1, 3, 4, 6, 16, 17, 18, 21, 22)  # family, unique, full, PostScript, typographic


def character_map(data: bytes) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(io.BytesIO(data), lazy=True).getBestCmap() or ())


def subset(data: bytes, codepoints: Iterable[int], number: int) -> bytes:
    """`data` cut down to `codepoints`, every layout feature kept, renamed (see above)."""
    from fontTools import subset as fontsubset
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(data))
    options = fontsubset.Options()
    options.layout_features = fontsubset.Options().layout_features + ["locl"]  # shaping ones
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    # Graphite tables (Charis SIL): no reading system uses them, and fontTools cannot subset them.
    options.drop_tables += ["DSIG", "Silf", "Silt", "Sill", "Glat", "Gloc", "Feat"]
    subsetter = fontsubset.Subsetter(options)
    subsetter.populate(unicodes=sorted(codepoints))
    subsetter.subset(font)
    name = f"build-report subset {number}"
    for record in font["name"].names:
        if record.nameID in NAME_IDS:
            text = name.replace(" ", "-") if record.nameID == 6 else name
            record.string = text if record.nameID != 17 else "Regular"
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def cached_subset(data: bytes, codepoints: frozenset[int] | set[int], number: int) -> bytes:
    """`subset(...)`, made once and kept in the user's cache folder (see above)."""
    import hashlib
    import hmac

    from fontTools import version as fonttools_version

    from build_report import cache

    folder = cache.key_folder()
    key = cache.secret()
    recipe = f"{hashlib.sha256(data).hexdigest()}:{sorted(codepoints)}:{number}:{fonttools_version}"
    name = hmac.new(key, recipe.encode(), "sha256").hexdigest()
    path = folder / "fonts" / name if folder is not None else None
    found = _read_sealed(path, key) if path is not None else None
    if found is not None:
        return found
    made = subset(data, codepoints, number)
    if path is not None:
        _write_sealed(path, key, made)
    return made


def _read_sealed(path: Path, key: bytes) -> bytes | None:
    """A subset we stored, if it is a private regular file whose seal matches; else None."""
    import hmac
    import os
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
            return None
        blob = handle.read(MAX_SUBSET_BYTES + 33)
    seal, body = blob[:32], blob[32:]
    expected = hmac.new(key, body, "sha256").digest()
    return body if hmac.compare_digest(seal, expected) else None


def _write_sealed(path: Path, key: bytes, data: bytes) -> None:
    """Keep a subset for the next build; a cache that cannot be written is no error."""
    import contextlib
    import hmac
    import os

    if len(data) > MAX_SUBSET_BYTES:
        return
    with contextlib.suppress(OSError):
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(temporary, flags, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(hmac.new(key, data, "sha256").digest() + data)
        os.replace(temporary, path)


def fit(files: dict[str, bytes], text: str) -> dict[str, bytes]:
    """The ebook's stylesheets and fonts (`files`, by href), fitted to `text`: unused faces
    dropped from the CSS and the files, used ones subset. Other files come back unchanged."""
    sheets = {h: d.decode("utf-8") for h, d in files.items() if h.lower().endswith(".css")}
    used = {ord(c) for c in text + "".join(sheets.values())}
    found = [f for f in faces(sheets) if f.font in files and f.font.lower().endswith(FONT_SUFFIXES)]
    maps: dict[str, frozenset[int]] = {}

    def cmap(font: str) -> frozenset[int]:
        if font not in maps:
            maps[font] = character_map(files[font])
        return maps[font]

    keep = choose(found, leading_families(sheets.values()), used, cmap)
    out = dict(files)
    for face in found:
        if face.font not in keep:
            sheets[face.stylesheet] = sheets[face.stylesheet].replace(face.rule, "", 1)
            out.pop(face.font, None)
    for number, (font, codepoints) in enumerate(sorted(keep.items()), start=1):
        padded = codepoints | (PADDING & cmap(font))
        out[font] = cached_subset(files[font], padded, number)
    for href, text_ in sheets.items():
        out[href] = re.sub(r"\n{3,}", "\n\n", text_).encode("utf-8")
    return out
