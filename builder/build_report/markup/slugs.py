"""The one way text becomes a name: file names, report slugs, edition names and heading ids."""

from __future__ import annotations

import re
import unicodedata


def slugify(text: str, fallback: str = "report") -> str:
    """Lower-case letters and digits, hyphen-separated: safe as a file name and an id on every
    platform, and still meaningful in any script. Latin letters lose their accents ("Café" ->
    "cafe", as before); other scripts keep their letters and marks ("Доклад" -> "доклад",
    "تقرير" -> "تقرير", "日本語" -> "日本語"), rather than vanishing into "report"."""
    kept: list[str] = []
    base_is_ascii = False
    for char in unicodedata.normalize("NFKD", text):
        category = unicodedata.category(char)
        if char.isascii():
            base_is_ascii = char.isalnum()
            kept.append(char if base_is_ascii else "-")
        elif category[0] == "M":
            if not base_is_ascii:  # an accent on a Latin letter goes; a vowel sign stays
                kept.append(char)
        elif category[0] in "LN":
            base_is_ascii = False
            kept.append(char)
        else:
            base_is_ascii = False
            kept.append("-")
    slug = unicodedata.normalize("NFC", "".join(kept)).lower()
    return re.sub(r"-+", "-", slug).strip("-") or fallback


def heading_slug(text: str) -> str:
    """A heading's name as GitHub (github-slugger), GitLab and mdBook make it, so contents
    links written for them work here: lower case, punctuation and symbols dropped, letters
    of every script kept, each space a hyphen. "What's new?" -> "whats-new"."""
    kept = (
        c
        for c in text.strip().lower()
        if c in "- " or unicodedata.category(c)[0] in "LMN" or unicodedata.category(c) == "Pc"
    )
    return "".join(kept).replace(" ", "-")


def pandoc_slug(text: str) -> str:
    """The id pandoc (and Quarto) give a heading: letters, digits, `_`, `-` and `.` kept,
    spaces to hyphens, lower case, nothing before the first letter. "Part 2.1" -> "part-2.1".
    """
    kept = "".join(c for c in text.lower() if c in "_-. " or unicodedata.category(c)[0] in "LN")
    kept = re.sub(r"\s+", "-", kept.strip())
    return re.sub(r"^[^a-z\u00c0-\uffff]+", "", kept)
