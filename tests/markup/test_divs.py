"""Fenced divs nest the way pandoc and Quarto authors write them, so teacher material stays
inside its block."""

from __future__ import annotations

from build_report.markup.parser import parse, without_teacher_blocks
from build_report.markup.renderer import markdown


def render(tokens) -> str:
    md = markdown()
    env = {"_render": {"target": "epub", "slug": "x", "notes": {}, "numbers": {}}}
    return md.renderer.render(tokens, md.options, env)


NESTED = """\
Intro.

::: teacher
Answer part one.

::: {.note #n1}
Inner note.
:::

```
:::
```

Answer part two, secret.
:::

Student text.
"""


def test_nested_divs_with_equal_fences_keep_teacher_text_inside() -> None:
    tokens, env = parse(NESTED, "x")
    teacher = render(tokens)
    assert "Answer part two, secret." in teacher
    assert '<aside class="callout callout-note callout-short" role="note" id="n1">' in teacher
    student = render(without_teacher_blocks(tokens, env))
    assert "secret" not in student and "Inner note" not in student and ":::" not in student
    assert "Student text." in student and "Intro." in student


def test_named_and_braced_divs_become_classes() -> None:
    tokens, _ = parse("::: warning\nCareful.\n:::\n\n:::: {.callout-tip .wide}\nTip.\n::::\n", "x")
    html = render(tokens)
    assert '<aside class="callout callout-warning callout-short" role="note">' in html
    assert '<aside class="callout callout-tip wide callout-short" role="note">' in html
    tokens, _ = parse("::: columns\nText.\n:::\n\n::: {.aside #a}\nMore.\n:::\n", "x")
    html = render(tokens)  # other divs stay divs
    assert '<div class="columns">' in html and '<div class="aside" id="a">' in html


def test_unclosed_teacher_div_runs_to_the_end() -> None:
    """An unclosed teacher block hides everything after it from students (never the reverse)."""
    tokens, env = parse("Open.\n\n::: teacher\nSecret answer.\n\nMore secret.\n", "x")
    student = render(without_teacher_blocks(tokens, env))
    assert "Open." in student and "ecret" not in student


def test_teacher_div_inside_a_list_item_ends_with_the_item() -> None:
    tokens, env = parse("- item\n\n  ::: teacher\n  hidden\n  :::\n- next\n", "x")
    student = render(without_teacher_blocks(tokens, env))
    assert "hidden" not in student and "next" in student


def test_teacher_link_references_stay_with_teachers() -> None:
    """A link reference defined inside a teacher block gives student text neither its URL nor
    its title (in a quote too); teacher text inside the block still links."""
    src = (
        "Normal [see answer][ans] and [pub][p].\n\n::: teacher\n"
        '[ans]: https://answers.example/SECRETURL "SECRETTITLE"\n\nTeacher [uses][ans] it.\n'
        ":::\n\n> ::: teacher\n> [q]: https://x.example/SECRETQUOTE\n> :::\n\n"
        "Quoted [q][].\n\n[p]: https://public.example\n"
    )
    tokens, env = parse(src, "x")
    student = render(without_teacher_blocks(tokens, env))
    assert "SECRET" not in student and 'href="https://public.example"' in student
    teacher = render(tokens)
    assert 'href="https://answers.example/SECRETURL"' in teacher


def test_teacher_blocks_in_any_spelling() -> None:
    for opening in ("::: Teacher", "::: {.teacher}", "::: {.teacher .wide}", ":::: TEACHER"):
        tokens, env = parse(f"Open.\n\n{opening}\nhidden text\n:::\n\nAfter.\n", "x")
        student = render(without_teacher_blocks(tokens, env))
        assert "hidden" not in student and "After." in student, opening


def test_a_fence_inside_an_html_block_or_code_is_no_fence() -> None:
    """A `:::` inside an HTML comment, `<pre>` or fenced code does not close the teacher's
    block (a line scan counted it, and the rest of the answer reached students)."""
    for inner in ("<!--\n:::\n-->", "<pre>\n:::\n</pre>", "~~~\n:::\n~~~"):
        src = f"Open.\n\n::: teacher\nFirst.\n\n{inner}\n\nThe answer is 42.\n:::\n\nAfter.\n"
        tokens, env = parse(src, "x")
        student = render(without_teacher_blocks(tokens, env))
        assert "42" not in student and "After." in student, (inner, student)
        assert "The answer is 42." in render(tokens), inner


def test_a_stray_closing_fence_shows_nothing() -> None:
    tokens, _ = parse("Text.\n\n:::\n\nMore.\n", "x")
    assert render(tokens) == "<p>Text.</p>\n<p>More.</p>\n"
