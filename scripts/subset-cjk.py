"""Remake styles/fonts/NotoSansCJK-*.otf: the CJK face, cut down to the characters in common use.

Why a subset: Noto Sans CJK is 19 MB a weight, most of it for ideographs no briefing uses. We
keep the common sets of every region (GB 2312, Big5 level 1, JIS X 0208, KS X 1001), every
modern Hangul syllable, kana, bopomofo, CJK punctuation and full-width forms: about 34,700
glyphs, 7.6 MB a weight. `build-report check` names any character the fonts cannot draw. The
`locl` feature is kept, so a `lang="ja"`, `"ko"` or `"zh-Hant"` run takes its region's forms.

Usage (Debian): apt-get download fonts-noto-cjk && dpkg-deb -x fonts-noto-cjk_*.deb x &&
python3 scripts/subset-cjk.py x/usr/share/fonts/opentype/noto styles/fonts
The SIL Open Font License allows modified versions; Noto reserves no font name.
"""

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

SIMPLIFIED_CHINESE = 2  # the face's index in NotoSansCJK-*.ttc: JP, KR, SC, TC, HK, then Mono


def encoded(codec: str, leads: range, trails: list[int]) -> set[str]:
    """Every character of a two-byte national standard, read from Python's codec for it."""
    found: set[str] = set()
    for lead in leads:
        for trail in trails:
            try:
                found.update(bytes([lead, trail]).decode(codec))
            except UnicodeDecodeError:
                continue
    return found


def blocks(*spans: tuple[int, int]) -> set[str]:
    return {chr(code) for start, end in spans for code in range(start, end + 1)}


def characters() -> set[str]:
    euc = list(range(0xA1, 0xFF))
    big5_trail = list(range(0x40, 0x7F)) + euc
    return (
        encoded("gb2312", range(0xA1, 0xF8), euc)
        | encoded("euc_jp", range(0xA1, 0xF5), euc)
        | encoded("euc_kr", range(0xA1, 0xFE), euc)
        | encoded("big5", range(0xA4, 0xC7), big5_trail)  # level 1: the common hanzi
        | blocks(
            (0x20, 0x7E),
            (0xA0, 0xFF),
            (0x2000, 0x206F),
            (0x3000, 0x30FF),
            (0x3100, 0x312F),
            (0x3130, 0x318F),
            (0x31F0, 0x32FF),
            (0x1100, 0x11FF),
            (0xAC00, 0xD7A3),
            (0xFE30, 0xFE4F),
            (0xFF00, 0xFFEF),
        )
    )


def main(source: Path, target: Path) -> None:
    text = characters()
    for weight in ("Regular", "Bold"):
        font = TTCollection(source / f"NotoSansCJK-{weight}.ttc").fonts[SIMPLIFIED_CHINESE]
        options = subset.Options()
        options.layout_features = ["locl", "ccmp", "kern", "palt", "halt", "vhal", "vpal"]
        options.name_IDs = ["*"]
        options.name_languages = ["*"]
        options.notdef_outline = True
        options.drop_tables += ["VORG", "vhea", "vmtx"]  # horizontal text only
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[ord(c) for c in text])
        subsetter.subset(font)
        font.save(target / f"NotoSansCJK-{weight}.otf")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
