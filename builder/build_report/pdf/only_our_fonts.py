"""The layout engine sees our fonts and no others: no machine font is ever embedded.

WeasyPrint asks fontconfig for fonts, and fontconfig's own configuration lists the machine's
font folders. A character that none of the stylesheets' fonts can draw would then be drawn in
whatever that machine has (DejaVu on Debian, something else elsewhere), and the same sources
would make different PDFs on two machines. Pointing fontconfig at a configuration whose only font
folder is ours (fonts.conf and fallback/, beside this file) leaves the `@font-face` fonts, which
WeasyPrint adds itself, and one face of ours for a stylesheet that loads none (Pango crashes
with no font at all). An undrawable character then prints as the font's empty box, and
`check` names it beforehand (see `build_report.fonts`).

What this relies on: fontconfig reads `FONTCONFIG_FILE` each time a configuration is loaded,
and WeasyPrint's `FontConfiguration()` loads one per document (weasyprint/text/fonts.py).
"""

from __future__ import annotations

import os
from pathlib import Path

CONFIG = Path(__file__).with_name("fonts.conf")


def no_machine_fonts() -> None:
    """Point fontconfig, in this process, at a configuration without font folders."""
    os.environ["FONTCONFIG_FILE"] = str(CONFIG)
