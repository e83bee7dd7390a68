"""Language tags, directions, catalogues and slugs: the rules in project/languages.py."""

from __future__ import annotations

import datetime
import tomllib

import pytest
from build_report.markup.slugs import slugify
from build_report.project.languages import (
    CATALOGUES,
    Words,
    canonical,
    catalogue_name,
    direction,
    label_keys,
)

REQUIRED = ("en", "fr", "de", "es", "it", "pt", "ru", "ar", "he", "zh", "ja", "ko")


def test_every_catalogue_has_every_word_and_the_same_placeholders() -> None:
    english = tomllib.loads((CATALOGUES / "en.toml").read_text())
    for name in (*REQUIRED, "zh-Hant", "fa"):
        words = tomllib.loads((CATALOGUES / f"{name}.toml").read_text())
        assert set(words) == set(english), name
        for key, text in english.items():
            for placeholder in ("{number}", "{page}", "{pages}", "{author}"):
                assert (placeholder in text) == (placeholder in words[key]), (name, key)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("ar", "rtl"), ("he", "rtl"), ("fa-IR", "rtl"), ("ur", "rtl"), ("az-Arab", "rtl"),
     ("en-US", "ltr"), ("ku-Latn", "ltr"), ("zh-Hant", "ltr"), ("ja", "ltr")],
)  # fmt: skip
def test_direction_follows_the_language_and_its_script(tag: str, expected: str) -> None:
    assert direction(tag) == expected


def test_tags_are_written_as_bcp47_recommends_and_find_their_catalogue() -> None:
    assert canonical("en_us") == "en-US"
    assert canonical("ZH-hant-tw") == "zh-Hant-TW"
    assert catalogue_name("zh-TW") == catalogue_name("zh-Hant") == "zh-Hant"
    assert catalogue_name("zh-CN") == "zh"
    assert catalogue_name("pt-BR") == "pt"
    assert catalogue_name("sw") == "en"


def test_words_fill_placeholders_follow_overrides_and_make_css() -> None:
    assert Words("de")("chapter", number=3) == "Kapitel 3"
    assert Words("ko").css("page", page="counter(page)", pages="counter(pages)") == (
        'counter(pages) "쪽 중 " counter(page) "쪽"'
    )
    hostile = Words("en", {"page": 'p. {page}"</style>\\'})
    css = hostile.css("page", page="counter(page)")
    assert "</style" not in css and '\\"' in css and "\\\\" in css
    assert Words("en", {"contents": "In brief"})("contents") == "In brief"
    assert "contents" in label_keys()


def test_dates_take_the_language_long_format() -> None:
    day = datetime.date(2026, 11, 26)
    assert Words("en-US").date(day) == "November 26, 2026"
    assert Words("en-GB").date(day) == "26 November 2026"
    assert Words("fr").date(day) == "26 novembre 2026"
    assert Words("ja").date(day) == "2026年11月26日"


def test_slugs_keep_every_script_and_fold_latin_accents() -> None:
    assert (
        slugify("Trump & Putin: The Complex Relationship") == "trump-putin-the-complex-relationship"
    )
    assert slugify("Café déjà vu") == "cafe-deja-vu"
    assert slugify("Доклад о России") == "доклад-о-россии"
    assert slugify("تقرير موجز") == "تقرير-موجز"
    assert slugify("हिन्दी भाषा") == "हिन्दी-भाषा"  # vowel signs and viramas kept
    assert slugify("한국어 보고서") == "한국어-보고서"
    assert slugify("!!!") == "report"
