"""A/B versions of a handout's discussion questions, for a class roster (pure Book -> Book).

The orders are shuffled, never random: the seed is a hash of the roster's bytes and of the
book's questions, so the same roster and the same chapters give the same versions (and the
same PDF bytes), and a changed roster or question gives new ones.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random

from build_report.project.config import DEFAULT_EDITIONS
from build_report.project.model import Book, Chapter
from build_report.project.roster import Student

VERSIONS = ("A", "B")


def seed(roster: bytes, book: Book) -> bytes:
    """What the orders depend on: the roster, and the questions with their chapters."""
    digest = hashlib.sha256(roster)
    for chapter in book.chapters:
        digest.update(f"\0{chapter.slug}\0{chapter.title}".encode())
        for question in chapter.questions:
            digest.update(f"\0{question.text}\0{question.answer}".encode())
    return digest.digest()


def orders(count: int, key: bytes) -> dict[str, list[int]]:
    """Version -> the order of `count` questions; A and B differ whenever they can (two or
    more questions)."""
    rng = random.Random(int.from_bytes(hashlib.sha256(key).digest(), "big"))
    first = list(range(count))
    rng.shuffle(first)
    second = list(range(count))
    for _ in range(8):
        rng.shuffle(second)
        if second != first:
            break
    else:
        second = first[::-1]
    return {"A": first, "B": second}


def versioned(book: Book, key: bytes) -> dict[str, Book]:
    """Version -> the Book its copies are made from: each chapter's questions in that
    version's order."""
    chapters: dict[str, list[Chapter]] = {v: [] for v in VERSIONS}
    for chapter in book.chapters:
        order = orders(len(chapter.questions), key + chapter.slug.encode())
        for version in VERSIONS:
            questions = tuple(chapter.questions[i] for i in order[version])
            chapters[version].append(dataclasses.replace(chapter, questions=questions))
    return {v: dataclasses.replace(book, chapters=tuple(chapters[v])) for v in VERSIONS}


def student_copy(book: Book) -> Book:
    """What a student's copy holds whatever the edition: no answers, no teacher notes or
    `::: teacher` blocks (a teacher edition's roster adds the answer keys at the end)."""
    from build_report.project.editions import _student

    if not book.edition.teacher_material:
        return book
    edition = book.config.editions.get("student", DEFAULT_EDITIONS["student"])
    if edition.teacher_material:
        edition = DEFAULT_EDITIONS["student"]
    chapters = tuple(_student(chapter) for chapter in book.chapters)
    return dataclasses.replace(book, chapters=chapters, edition=edition)


def assign(students: tuple[Student, ...]) -> list[str]:
    """Each student's version: alternating within each group (in roster order), so that
    neighbours in a group hold different orders; without groups, alternating down the list."""
    seen: dict[str, int] = {}
    out = []
    for student in students:
        n = seen.get(student.group, 0)
        seen[student.group] = n + 1
        out.append(VERSIONS[n % len(VERSIONS)])
    return out
