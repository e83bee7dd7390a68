"""The print book's pages, known to the other outputs: where each page of the PDF starts,
recorded when the PDF is laid out (record.py), placed as page-break markers in the ebook
(ebook/pagebreaks.py) and cited by the handout ("Briefing pp. 3-4")."""
