"""A book's language: its tag, its direction, and the words build-report prints in it.

One language tag (BCP 47: `en-US`, `fr`, `zh-Hant`, `ar`) decides three things, so they are
decided here and nowhere else:
- the direction of the text and of the page layout (`rtl` for Arabic, Hebrew, Persian, Urdu
  and the other right-to-left scripts);
- the words the tool prints itself ("Contents", "Chapter 3", "page 2 of 8", the handout's
  fields), from a catalogue per language in `labels/`, which `[labels]` in report.toml can
  override word by word;
- the cover date, in the language's own long format (Babel's CLDR data).

Hyphenation and line breaking follow the tag too, but the layout engine does that itself from
the documents' `lang` attributes, which is why the full tag (`en-US`, not `en`) is written there.
"""

from __future__ import annotations

import datetime
import re
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

CATALOGUES = Path(__file__).with_name("labels")
TAG = re.compile(r"^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*$")
# Primary languages written right to left (their usual script), and the scripts themselves.
RTL_LANGUAGES = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "ps", "sd", "ug",
                           "ur", "yi"})  # fmt: skip
RTL_SCRIPTS = frozenset({"arab", "hebr", "syrc", "thaa", "nkoo", "adlm", "rohg"})
LTR_SCRIPTS = frozenset({"latn", "cyrl", "grek", "deva"})
# Chinese written with traditional characters, when the tag names a region rather than a script.
TRADITIONAL = frozenset({"tw", "hk", "mo"})


def is_tag(text: str) -> bool:
    """Whether `text` is shaped like a language tag (`en`, `en-US`, `zh-Hant-TW`)."""
    return bool(TAG.match(text))


def canonical(tag: str) -> str:
    """`en_us` -> `en-US`, `ZH-hant` -> `zh-Hant`: the case BCP 47 recommends, since the tag is
    written into every document and compared with catalogue names."""
    parts = tag.replace("_", "-").split("-")
    shaped = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            shaped.append(part.title())  # script
        elif len(part) in (2, 3) and (part.isalpha() or part.isdigit()):
            shaped.append(part.upper())  # region
        else:
            shaped.append(part.lower())
    return "-".join(shaped)


def direction(tag: str) -> str:
    """`rtl` or `ltr`: a script subtag decides (`az-Arab` is rtl, `ku-Latn` ltr), else the
    language's usual script."""
    parts = tag.replace("_", "-").lower().split("-")
    for part in parts[1:]:
        if part in RTL_SCRIPTS:
            return "rtl"
        if part in LTR_SCRIPTS:
            return "ltr"
    return "rtl" if parts[0] in RTL_LANGUAGES else "ltr"


@cache
def catalogue_name(tag: str) -> str:
    """Which catalogue serves `tag`: `zh-TW` and `zh-Hant` take traditional Chinese, any other
    tag its primary language, and a language without a catalogue English."""
    parts = canonical(tag).split("-")
    primary = parts[0]
    if primary == "zh" and ("Hant" in parts or any(p.lower() in TRADITIONAL for p in parts[1:])):
        return "zh-Hant"
    return primary if (CATALOGUES / f"{primary}.toml").is_file() else "en"


@cache
def catalogue(name: str) -> Mapping[str, str]:
    """The words of one shipped catalogue, English filling any key it lacks."""
    english = _read(CATALOGUES / "en.toml")
    if name == "en":
        return english
    return {**english, **_read(CATALOGUES / f"{name}.toml")}


def _read(path: Path) -> dict[str, str]:
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def label_keys() -> list[str]:
    """Every word a `[labels]` table may override."""
    return list(catalogue("en"))


@dataclass(frozen=True)
class Words:
    """The words of one book: its language's catalogue with the project's overrides."""

    language: str = "en"
    overrides: Mapping[str, str] = field(default_factory=dict)

    def __call__(self, key: str, **values: object) -> str:
        """The word for `key`, its {placeholders} filled in."""
        text = self.overrides.get(key) or catalogue(catalogue_name(self.language))[key]
        for name, value in values.items():
            text = text.replace("{" + name + "}", str(value))
        return text

    def css(self, key: str, **counters: str) -> str:
        """The word as a CSS `content` value: each {name} in `counters` becomes that CSS
        (`counter(page)`), the rest quoted. "page {page} of {pages}" ->
        `"page " counter(page) " of " counter(pages)`, in whatever order the language puts them."""
        parts = re.split(r"(\{\w+\})", self(key))
        out = []
        for part in parts:
            name = part[1:-1] if part.startswith("{") and part.endswith("}") else None
            if name in counters:
                out.append(counters[name])
            elif part:
                out.append('"' + _css_escaped(part) + '"')
        return " ".join(out) or '""'

    def edition(self, name: str, label: str) -> str:
        """An edition's label: the catalogue's word for the built-in student and teacher
        editions unless report.toml relabelled them, else the label as configured."""
        english = catalogue("en").get(f"{name}_edition")
        return self(f"{name}_edition") if english and label == english else label

    def date(self, when: datetime.date) -> str:
        """`when` in the language's long date format: "November 26, 2026" in en-US, "26 November
        2026" in en-GB, "26 novembre 2026" in French, "2026年11月26日" in Chinese."""
        from babel.core import Locale, UnknownLocaleError
        from babel.dates import format_date

        try:
            locale = Locale.parse(canonical(self.language), sep="-")
        except (UnknownLocaleError, ValueError):
            try:
                locale = Locale.parse(canonical(self.language).split("-")[0])
            except (UnknownLocaleError, ValueError):
                locale = Locale("en")
        return format_date(when, format="long", locale=locale)


_SPOKEN: ContextVar[Words | None] = ContextVar("build_report_words", default=None)


def spoken() -> Words:
    """The words of what is being rendered now (see `speaking`): figure and table labels,
    the sources, glossary and index titles, which are made deep inside the markup code."""
    return _SPOKEN.get() or Words()


@contextmanager
def speaking(words: Words) -> Iterator[None]:
    """Render in `words`' language: `chapter_html` speaks its chapter's language, the
    contents their book's."""
    token = _SPOKEN.set(words)
    try:
        yield
    finally:
        _SPOKEN.reset(token)


def words_in(env: object) -> Words:
    """The words for a chapter being rendered: its parser env holds its language and the
    project's [labels] (project/chapters.py puts them there)."""
    if not isinstance(env, dict):
        return Words()
    return Words(str(env.get("language") or "en"), env.get("labels") or {})


def _css_escaped(text: str) -> str:
    """`text` inside a CSS string that sits in an HTML <style>: no quote, backslash, line
    break or `<` (which could close the element) left as it is."""
    escapes = {"\\": "\\\\", '"': '\\"', "\n": "\\a ", "<": "\\3c "}
    return "".join(escapes.get(c, c) for c in text)
