"""The `build-report` command line: Click options in, one build function called, paths out."""

from __future__ import annotations

from pathlib import Path

import click

from builder import __version__

project_option = click.option(
    "-C",
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Project folder (holds report.toml, chapters/ and styles/).",
)
output_option = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output file (default: build/<slug>.<ext> in the project).",
)
strict_option = click.option(
    "--strict", is_flag=True, help="Treat warnings, WeasyPrint's included, as errors."
)


def _report(diagnostics) -> None:
    for diagnostic in diagnostics:
        click.echo(diagnostic.format(), err=True)


def _finish(diagnostics, strict: bool) -> None:
    """Print diagnostics compiler-style; exit 1 on errors (and on warnings under --strict)."""
    _report(diagnostics)
    errors = [d for d in diagnostics if d.level == "error" or strict]
    if errors:
        raise click.ClickException(f"{len(errors)} problem(s), see above") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="build-report")
def main() -> None:
    """Build a printable briefing (PDF), EPUB-ready HTML and an EPUB 3 from Markdown chapters."""


@main.command()
@project_option
@output_option
@click.option(
    "--paper",
    type=click.Choice(["a4", "letter"], case_sensitive=False),
    help="Paper size (overrides [build] paper in report.toml; default a4).",
)
@click.option(
    "--emit-html",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the HTML the PDF is rendered from, to open in a browser.",
)
@strict_option
def pdf(
    project: Path, output: Path | None, paper: str | None, emit_html: Path | None, strict: bool
) -> None:
    """Build the print PDF: cover, contents, chapters, running heads, footnotes, bookmarks."""
    from builder.build import Options, build_pdf

    result = build_pdf(
        Options(project=project, output=output, paper=paper, strict=strict, emit_html=emit_html)
    )
    _report(result.diagnostics)
    click.echo(f"{result.path} ({result.pages} pages)")


@main.command()
@project_option
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (default: build/html in the project).",
)
@strict_option
def html(project: Path, output: Path | None, strict: bool) -> None:
    """Write EPUB-ready XHTML: one document per chapter, nav, styles, fonts and images."""
    from builder.build import Options, build_html

    result = build_html(Options(project=project, output=output, strict=strict))
    _finish(result.diagnostics, strict)
    click.echo(f"{result.path}/ ({result.files} files; open index.xhtml)")


@main.command()
@project_option
@output_option
@click.option("--check", is_flag=True, help="Validate the EPUB with EPUBCheck (needs Java).")
@strict_option
def epub(project: Path, output: Path | None, check: bool, strict: bool) -> None:
    """Write an EPUB 3 ebook; --check validates it with EPUBCheck."""
    from builder.build import Options, build_epub

    result, found = build_epub(Options(project=project, output=output, strict=strict), check)
    _finish(result.diagnostics + found, strict)
    click.echo(f"{result.path} ({result.files} files)")
    if check:
        click.echo("EPUBCheck: no errors or warnings")
