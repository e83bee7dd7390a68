"""`pdf`, `handout`, `html`, `epub` and `all`: load the project once, make the Book, and hand it
to each output's writer (writers.py), reusing outputs whose inputs have not changed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from build_report import console
from build_report.project.config import Config, load_config
from build_report.project.model import Book
from build_report.writers import Options, Written, writer

CACHEABLE = ("pdf", "handout", "epub")


def load_book(config: Config) -> Book:
    """Read and parse every chapter (imported here: a cache hit never needs Markdown)."""
    from build_report.project.chapters import load_book as read

    return read(config)


def read_in_time(config: Config, problems: list | None = None) -> Book:
    """`load_book` for the commands that only read (check, stats), under the same watchdog
    as the builds: a chapter that takes too long to parse ends in the time_limit error."""
    from build_report.processes import in_child, start_clock
    from build_report.project.chapters import load_book as read

    def work() -> tuple[Book, list]:
        found: list = []
        return read(config, problems=found if problems is not None else None), found

    book, found = in_child(work, None, start_clock(config))
    if problems is not None:
        problems += found
    return book


def prepare(book: Book, options: Options) -> Book:
    """The Book this output is made from: its edition, its chapters, what it may load."""
    import dataclasses

    from build_report.project.editions import apply_edition, select_chapters

    book = dataclasses.replace(book, allow_network=options.allow_network)
    book = select_chapters(apply_edition(book, options.edition), options.chapters)
    if options.since:
        from build_report.project.changes import since

        book = since(book, options.since)
    return book


def _cacheable(kind: str, options: Options) -> bool:
    return (
        kind in CACHEABLE
        and not options.no_cache
        and options.emit_html is None
        and not options.check
        and not options.allow_network  # what a server sends is not ours to fingerprint
        and options.roster is None  # a roster's bytes are not among the inputs cache.py sees
        and options.since is None  # nor is the state of the git repository
    )


def _from_cache(folder: Path, root: Path, kind: str, options: Options) -> Written | None:
    from build_report import cache

    if not _cacheable(kind, options):
        return None
    record = cache.lookup(folder, root, kind, options)
    if record is None:
        return None
    return Written(Path(record["shown"]), record.get("pages"), record.get("files"), cached=True)


def _to_cache(
    folder: Path, root: Path, kind: str, options: Options, written: Written, sources: dict
) -> None:
    from build_report import cache

    if _cacheable(kind, options) and not written.diagnostics:
        cache.store(
            folder,
            root,
            kind,
            options,
            written.path,
            written.inputs,
            sources,
            shown=str(written.path),
            pages=written.pages,
            files=written.files,
        )


def prepare_jobs(config: Config, todo: list[tuple[str, Options]]) -> list:
    """Every output's job, from one reading of the chapters (may run in a child process)."""
    base = load_book(config)
    jobs = []
    for kind, options in todo:
        book = prepare(base, options)
        console.current.stage(f"building {kind} ({book.edition.name})")
        jobs.append(writer(kind).prepare(book, options))
    return jobs


def run(
    options: Options, outputs: list[tuple[str, Options]], config: Config | None = None
) -> list[Written]:
    """Build these outputs: reuse what is unchanged; read the chapters once for the rest and
    prepare every job in a child process while this one imports the layout engine, if any
    output needs it (processes.py); then write them in order."""
    from build_report.files import output_folder, update_sums

    config = config or load_config(options.project, paper=options.paper)
    folder = output_folder(config.root, config.build.output_dir)
    pending: list[tuple[Path, Path]] = []  # --emit-html: (written first, put in place after)
    try:
        result = _build(config, folder, _stage_emit_html(outputs, config.root, pending))
        for staged, target in pending:
            _put_in_place(staged, target)
    finally:
        for staged, _ in pending:
            Path(staged).unlink(missing_ok=True)
    console.current.step("done", 1.0, 1.0)
    console.current.clear()
    update_sums(folder, [w.path for w in result])
    return result


def _build(config: Config, folder: Path, outputs: list[tuple[str, Options]]) -> list[Written]:
    """Each output from the cache or written anew, in the order asked."""
    from build_report.files import remember
    from build_report.processes import in_child, start_clock

    written: dict[int, Written] = {}
    todo = []
    for index, (kind, job_options) in enumerate(outputs):
        found = _from_cache(folder, config.root, kind, job_options)
        if found is None:
            todo.append((index, kind, job_options))
        else:
            written[index] = found
    if todo:
        from build_report import cache

        sources = cache.snapshot(config.root)  # before reading: see cache.snapshot
        console.current.step("reading chapters", 0.0, 0.05)
        deadline = start_clock(config)  # time_limit holds from here, for every stage
        for phase in _phases(todo) if config.build.print_pages else [todo]:
            jobs = in_child(
                lambda phase=phase: prepare_jobs(config, [(kind, o) for _, kind, o in phase]),
                _meanwhile(config, [kind for _, kind, _ in phase]),
                deadline,
            )
            for (index, kind, job_options), job in zip(phase, jobs, strict=True):
                done = writer(kind).write(job)
                if done.path.is_file():
                    remember(done.path)  # ours now: the next build may replace it
                _to_cache(folder, config.root, kind, job_options, done, sources)
                written[index] = done
    return [written[i] for i in range(len(outputs))]


def _phases(todo: list) -> list[list]:
    """The jobs in one phase, or two when a PDF and an ebook are both to be built (`all`):
    the PDF first, so that the ebook (and a handout that cites the briefing's pages) finds
    the pages it laid out (pages/record.py) instead of laying the book out once more; the
    chapters are read again for the second phase, which costs far less than a layout."""
    first = [job for job in todo if job[1] == "pdf"]
    rest = todo[len(first) :]
    if first and todo[: len(first)] == first and any(job[1] != "handout" for job in rest):
        return [first, rest]
    return [todo]


def _stage_emit_html(
    outputs: list[tuple[str, Options]], root: Path, pending: list[tuple[Path, Path]]
) -> list[tuple[str, Options]]:
    """--emit-html is written under a unique hidden name beside its target, and put in place
    only once the whole build succeeded: a failed build leaves the old file as it was."""
    import secrets

    from build_report.files import check_target, real_path

    staged_outputs = []
    for kind, job_options in outputs:
        target = job_options.emit_html
        if target is not None:
            check_target(target, root, force=job_options.force)
            real = real_path(target)
            staged = real.with_name(f".{real.stem[:64]}.{secrets.token_hex(6)}.tmp{real.suffix}")
            pending.append((staged, target))
            job_options = replace(job_options, emit_html=staged)
        staged_outputs.append((kind, job_options))
    return staged_outputs


def _put_in_place(staged: Path, target: Path) -> None:
    import os

    from build_report.errors import BuildError
    from build_report.files import FULL, real_path, remember

    try:
        os.replace(staged, real_path(target))
    except OSError as exc:
        raise BuildError(target, f"could not write: {exc.strerror or exc}", FULL) from None
    remember(target)


def _meanwhile(config: Config, kinds: list[str]):
    """What this process does while a child reads the chapters: for a PDF, import and warm
    the engine on the project's print stylesheets (its layout processes fork from this one);
    for another output that lays out, import the engine; else nothing."""
    from build_report.pdf import adapter

    if "pdf" in kinds:
        adapter.share_caches()
        return lambda: adapter.warm_up_project(config)
    if any(writer(kind).uses_engine for kind in kinds):
        return adapter.load_engine
    return None


def build(kind: str, options: Options) -> Written:
    """One output (the `pdf`, `handout`, `html` and `epub` commands)."""
    from build_report.processes import scratch_folder

    with scratch_folder():
        return run(options, [(kind, options)])[0]


def build_all(options: Options) -> list[Written]:
    """Every output in one run: the PDF, the HTML folder, the EPUB, a handout per edition."""
    config = load_config(options.project, paper=options.paper)
    single = replace(options, output=None, emit_html=None)
    plain = replace(single, booklet=False, n_up=1)
    outputs = [("pdf", plain), ("html", plain), ("epub", plain)]
    outputs += [("handout", replace(single, edition=name)) for name in config.editions]
    from build_report.processes import scratch_folder

    with scratch_folder():
        return run(options, outputs, config)


def summary(written: list[Written], project: Path) -> None:
    """What `all` wrote: path, pages (or files) and size of each output."""
    from build_report.console import size, table
    from build_report.errors import display_path

    rows = [("path", "pages", "size")]
    for item in written:
        path = item.path
        if path.is_dir():
            total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
            shown = f"{display_path(path, project)}/"
        else:
            total = path.stat().st_size
            shown = display_path(path, project)
        pages = str(item.pages) if item.pages is not None else f"{item.files} files"
        rows.append((shown, pages, size(total)))
    table(rows, right=(1, 2))
