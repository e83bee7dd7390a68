"""The `build-report` command line: Click options in, one build function called, paths out."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import click

from build_report import __version__
from build_report.console import done, report

THEMES = ("briefing", "report", "book")  # the built-in designs: styles/themes/<name>.css

project_option = click.option(
    "-C",
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Project folder (holds report.toml, chapters/ and styles/).",
)
file_output = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output file (default: in build/, named from the slug).",
)
strict_option = click.option(
    "--strict", is_flag=True, help="Treat warnings, WeasyPrint's included, as errors."
)
paper_option = click.option(
    "--paper",
    type=click.Choice(["a4", "letter"], case_sensitive=False),
    help="Paper size (overrides [build] paper in report.toml; default a4).",
)
edition_option = click.option(
    "--edition",
    default="student",
    show_default=True,
    help="Edition to build: student, teacher, or one defined under [editions] in report.toml.",
)
chapters_option = click.option(
    "--chapters",
    "--chapter",
    "chapters",
    metavar="SPEC",
    help="Only these chapters: 2, 2-4 or 1,3-5.",
)
variant_option = click.option(
    "--pdf-variant",
    type=click.Choice(["pdf/a-3b", "pdf/ua-1"], case_sensitive=False),
    help="PDF/A-3b for archiving or PDF/UA-1 (tagged) for accessibility.",
)
booklet_option = click.option(
    "--booklet", is_flag=True, help="Impose for saddle-stitched booklets (duplex, short edge)."
)
network_option = click.option(
    "--allow-network",
    is_flag=True,
    help="Let styles and images load over http(s) (public addresses only). Off by default.",
)
cache_option = click.option(
    "--no-cache", is_flag=True, help="Rebuild even if nothing has changed since the last build."
)
force_option = click.option(
    "--force",
    is_flag=True,
    help="Replace an existing output file that build-report did not write (never a folder).",
)
since_option = click.option(
    "--since",
    metavar="REV",
    help="Mark what changed since this git revision: change bars, and a What changed page.",
)
nup_option = click.option(
    "--n-up", type=click.Choice(["1", "2", "4"]), default="1", help="Pages per sheet side."
)


def _check_imposition(booklet: bool, n_up: str) -> int:
    if booklet and n_up != "1":
        raise click.UsageError("--booklet and --n-up cannot be combined")
    return int(n_up)


def _stop_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so temporary outputs are removed and old ones stay."""
    import signal

    def stop(signum, frame):  # noqa: ARG001
        raise KeyboardInterrupt

    with contextlib.suppress(ValueError):  # not the main thread (embedded): leave signals be
        signal.signal(signal.SIGTERM, stop)


class _Main(click.Group):
    """The last net: an exception that is not a user's error is a bug of ours, and still
    reaches the user as one line (the traceback with -v, or re-raised under
    BUILD_REPORT_DEBUG=1, which the test suite sets so that no bug hides behind the net)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if isinstance(exc, OSError) and exc.filename is not None:
                from build_report.errors import path_error

                raise path_error(exc) from None
            from build_report import console
            from build_report.errors import InternalError

            if os.environ.get("BUILD_REPORT_DEBUG"):
                raise
            if console.current.verbose:
                import traceback

                traceback.print_exc()
            raise InternalError(exc) from None


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="build-report")
@click.option("-q", "--quiet", is_flag=True, help="Print only warnings and errors.")
@click.option("-v", "--verbose", is_flag=True, help="Print each stage of a build with its time.")
def main(quiet: bool, verbose: bool) -> None:
    """Build a printable briefing (PDF), EPUB-ready HTML, an EPUB 3 and classroom handouts
    from Markdown chapters.

    Shell completion: eval "$(_BUILD_REPORT_COMPLETE=bash_source build-report)" in ~/.bashrc
    (zsh_source and fish_source for zsh and fish)."""
    from build_report import console

    console.configure(quiet, verbose)
    _stop_on_sigterm()


def run() -> None:
    """The `build-report` command (and `python -m build_report`): `main`, then out at once.

    A build leaves WeasyPrint's faces, stylesheets and boxes in this process, and Python's
    own exit frees them object by object, about 0.2 s after a long book, with the output
    long written. So once `main` is done, the exit handlers run (the scratch folder and
    anything else registered goes as usual) and the streams are flushed, and the process
    ends there (`os._exit`), unless a process it started is still running (Python's exit
    stops those). Tests call `main` through Click's runner and exit as usual."""
    import sys

    try:
        main()
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    if not isinstance(code, int):  # None, or a message (which sys.exit prints)
        if code is not None:
            print(code, file=sys.stderr)
        code = 0 if code is None else 1
    running = sys.modules.get("multiprocessing")
    if running is not None and running.active_children():
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: Python's exit says it, as it would
        sys.exit(code)
    import atexit

    atexit._run_exitfuncs()
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def print_options(function):
    """The options every PDF command shares (pdf, handout), declared once."""
    for decorator in reversed(
        [
            project_option,
            file_output,
            paper_option,
            edition_option,
            chapters_option,
            variant_option,
            booklet_option,
            nup_option,
            network_option,
            cache_option,
            force_option,
            strict_option,
            since_option,
        ]
    ):
        function = decorator(function)
    return function


def _options(**params):
    """Click's parameters -> the plain Options object the build functions take."""
    from build_report.writers import Options

    if "n_up" in params:
        params["n_up"] = _check_imposition(params.get("booklet", False), params["n_up"])
    return Options(**params)


def _up_to_date(written) -> str:
    return ", up to date" if written.cached else ""


def _pages_line(written, options) -> None:
    """`build/x.pdf (8 pages)`; imposed, the pages laid out and the sheets they print on:
    `build/x-booklet.pdf (8 pages on 2 sheets, booklet)`."""
    report(written.diagnostics)
    pages = f"{written.pages} pages"
    if (options.booklet or options.n_up > 1) and written.pages is not None:
        from build_report.pdf.impose import imposition, sheets

        count = sheets(written.pages, options.booklet, options.n_up)
        pages += f" on {count} sheet{'s' if count != 1 else ''}, "
        pages += imposition(options.booklet, options.n_up)
    done(f"{written.path} ({pages}{_up_to_date(written)})")


@main.command()
@print_options
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(0, 64),
    default=0,
    show_default=True,
    help="Lay out parts of the book in this many processes; 0: one per core for a long book.",
)
@click.option(
    "--emit-html",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the HTML the PDF is rendered from, to open in a browser.",
)
def pdf(**params):
    """Build the print PDF: cover, contents, chapters, running heads, footnotes, bookmarks."""
    from build_report.commands.build import build

    options = _options(**params)
    _pages_line(build("pdf", options), options)


@main.command()
@print_options
@click.option(
    "--roster",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A CSV file in the project (a name column, optionally group): one PDF with a "
    "named copy per student, questions in versions A and B (answer keys in teacher editions).",
)
def handout(**params):
    """Build a compact classroom handout: key points, text, timeline, key terms, questions."""
    from build_report.commands.build import build

    if params["roster"] is not None and params["pdf_variant"]:
        raise click.UsageError("--roster and --pdf-variant cannot be combined")
    options = _options(**params)
    _pages_line(build("handout", options), options)


@main.command()
@project_option
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (default: build/html in the project).",
)
@edition_option
@chapters_option
@force_option
@strict_option
@since_option
def html(**params):
    """Write EPUB-ready XHTML: one document per chapter, nav, styles, fonts and images."""
    from build_report.commands.build import build

    written = build("html", _options(**params))
    report(written.diagnostics)
    done(f"{written.path}/ ({written.files} files; open index.xhtml)")


@main.command()
@project_option
@file_output
@edition_option
@chapters_option
@click.option("--check", is_flag=True, help="Validate the EPUB with EPUBCheck (needs Java).")
@cache_option
@force_option
@strict_option
@since_option
def epub(**params):
    """Write an EPUB 3 ebook; --check validates it with EPUBCheck before it is kept."""
    from build_report.commands.build import build

    written = build("epub", _options(**params))
    report(written.diagnostics)
    done(f"{written.path} ({written.files} files{_up_to_date(written)})")
    _epubcheck_said([written])


@main.command()
@project_option
@strict_option
def check(project, strict):
    """Check config, front matter, links, images, headings, ids, footnotes, cross-references,
    citations, bibliography files and CSS; write nothing. Prints file:line:col: level: message
    lines; exits 1 on errors."""
    from build_report.commands.check import run_check

    found = run_check(project)
    report(found, err=False)
    errors = sum(1 for d in found if d.level == "error")
    warnings = len(found) - errors
    click.echo(f"check: {errors} error(s), {warnings} warning(s)", err=True)
    if errors or (strict and warnings):
        raise SystemExit(1)


@main.command(name="all")
@project_option
@paper_option
@variant_option
@booklet_option
@nup_option
@click.option("--check", is_flag=True, help="Validate the EPUB with EPUBCheck.")
@network_option
@cache_option
@force_option
@strict_option
def all_(**params):
    """Build every output in one run: PDF, HTML, EPUB, and a handout for each edition."""
    from build_report import console
    from build_report.commands.build import build_all, summary

    written = build_all(_options(**params))
    # what every output found of the same source, said once
    found = {d.format(): d for item in written for d in item.diagnostics}
    report(list(found.values()))
    if not console.current.quiet:
        summary(written, params["project"])
    _epubcheck_said(written)


def _epubcheck_said(written: list) -> None:
    """What EPUBCheck said of the EPUB built with --check, in one closing line (its findings,
    warnings when the build goes on, are listed above it)."""
    for item in written:
        if item.checked is not None:
            found = len(item.checked)
            done(
                f"EPUBCheck: {found} warning(s), listed above"
                if found
                else "EPUBCheck: no errors or warnings"
            )


@main.command()
@project_option
@click.option(
    "--port", type=click.IntRange(1, 65535), help="Port on 127.0.0.1 (default 8765, or a free one)."
)
@click.option(
    "--print",
    "print_mode",
    is_flag=True,
    help="Serve the print layout (the PDF's HTML and print CSS).",
)
@click.option(
    "--pdf",
    "pdf_mode",
    is_flag=True,
    help="Serve the print PDF, rebuilt on change (build/<slug>.pdf) with the engine kept loaded.",
)
@edition_option
def preview(project, port, print_mode, pdf_mode, edition):
    """Serve the book on 127.0.0.1, rebuild on every change and reload the open page."""
    if pdf_mode:
        if print_mode:
            raise click.UsageError("--pdf and --print are two previews: choose one")
        from build_report.commands.preview_pdf import serve_pdf

        return serve_pdf(project, port, edition)
    from build_report.commands.preview import serve

    serve(project, port, print_mode, edition)


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), default=Path("."))
@click.option("--title", default="A New Briefing", show_default=True, help="The report's title.")
@click.option("--author", default="Author", show_default=True, help="The report's author.")
@click.option(
    "--theme",
    type=click.Choice(THEMES),
    default="briefing",
    show_default=True,
    help="The design: a think-tank brief, a formal report, or a book.",
)
def init(folder, title, author, theme):
    """Create a new project (report.toml, two sample chapters, the default styles) that builds
    as it is."""
    from build_report.commands.init import init_project

    init_project(folder, title, author, theme)
    done(f"created {folder}/ - now run: build-report pdf -C {folder}")


@main.command()
@click.argument("title")
@project_option
def new(title, project):
    """Add the next numbered chapter file, with its front matter."""
    from build_report.commands.init import new_chapter

    path = new_chapter(project, title)
    done(str(path))


@main.command()
@project_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON, for scripts.")
def stats(project, as_json):
    """Words, reading time, footnotes and images per chapter and in total; pages in the last PDF."""
    from build_report.commands.stats import book_stats, show

    show(book_stats(project), as_json)
