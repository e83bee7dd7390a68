"""A small book with the whole apparatus: a figure, tables, section references, citations of
a book, an article, a report and a web page, and index terms. Shared by the apparatus tests."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Project, new_project

FILLER = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
    "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud "
    "exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.\n\n"
)

BIB = """\
@book{smith2020,
  author = {Smith, Jane and Doe, John},
  title = {The Baltic Question},
  publisher = {Oxford University Press},
  address = {Oxford},
  year = {2020}
}

@article{virtanen2019,
  author = {Virtanen, Aino},
  title = {Energy Security in Finland},
  journal = {Journal of Nordic Studies},
  volume = {12},
  number = {3},
  pages = {45--67},
  year = {2019}
}

@techreport{nato2022,
  author = {{NATO}},
  title = {Strategic Concept},
  institution = {North Atlantic Treaty Organization},
  address = {Brussels},
  year = {2022}
}

@misc{yle2023,
  author = {Korhonen, Matti},
  title = {Helsinki Prepares for Winter},
  howpublished = {Yle News},
  url = {https://yle.fi/a/123},
  year = {2023},
  urldate = {2024-01-15}
}
"""

FIRST = f"""\
---
title: First Chapter
key_terms:
  - term: Deterrence
    definition: Discouraging an action by the threat of a response.
---

The trend is in @fig-revenue, the money in @tbl-budget, and the approach in @sec-method.

Smith argues this [@smith2020, p. 4], and others agree [see @virtanen2019; @nato2022].

{FILLER * 6}
## Background

The talks were held in [Helsinki]{{.index}} under the doctrine of
[deterrence]{{.index term="Deterrence"}}.

{FILLER * 5}
![Revenue by year](chart.png){{#fig-revenue}}

{FILLER * 3}
## Method {{#sec-method}}

| Year | Budget |
|------|--------|
| 2020 | 100    |
| 2021 | 120    |

Table: Budget by year {{#tbl-budget}}

### Details

Officials met again in [Helsinki]{{.index}}.

## Notes {{-}}

Write to jane@example.org.
"""

SECOND = f"""\
---
title: Second Chapter
---

As @fig-revenue shows, and [see @sec-method]; the costs are in @tbl-costs.

As @smith2020 notes, winter is coming [@yle2023].^[As the news had it.] Later again [@smith2020].

{FILLER * 3}
Table: Costs by region {{#tbl-costs}}

| Region | Cost |
|--------|------|
| North  | 5    |

![Second chart](chart.png){{#fig-second}}

Back in [the capital]{{.index term="Helsinki"}}, [NATO]{{.index}} waited.

## Appendix {{#sec-appendix .unnumbered}}

See @sec-appendix.
"""


BACK_MATTER = "\n[back_matter]\nglossary = true\n"
REFERENCES = '\n[references]\nbibliography = "references.bib"\n'


def apparatus_book(root: Path, toml: str = "", references: str = "") -> Project:
    """The book at `root`, with `toml` added to its report.toml, and `references` added to
    its [references] table."""
    from PIL import Image

    book = new_project(root)
    config = (book.root / "report.toml").read_text() + BACK_MATTER + REFERENCES + references
    config += toml
    book.write("report.toml", config)
    book.write("chapters/01-first.md", FIRST)
    book.write("chapters/02-second.md", SECOND)
    book.write("references.bib", BIB)
    Image.new("RGB", (600, 300), (40, 90, 160)).save(book.root / "chapters" / "chart.png")
    return book


def page_of(pdf: Path, text: str) -> list[int]:
    """The 1-based pages whose text holds `text` (white space ignored)."""
    import pdfplumber

    wanted = "".join(text.split())
    with pdfplumber.open(pdf) as document:
        return [
            n
            for n, page in enumerate(document.pages, start=1)
            if wanted in "".join((page.extract_text() or "").split())
        ]


def pdf_text(pdf: Path) -> str:
    import pdfplumber

    with pdfplumber.open(pdf) as document:
        return "\n".join(page.extract_text() or "" for page in document.pages)
