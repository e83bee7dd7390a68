"""The layout processes of a chapter-parallel build (parallel.py), forked where that is safe and
spawned elsewhere (processes.py), each laying out and writing its parts, then numbering them."""

from __future__ import annotations

import os
from dataclasses import replace

import click

from build_report.pdf.adapter import Layout, PdfOptions, Rendered, lay_out
from build_report.pdf.internals import page_numbers


def process_count(todo: int, jobs: int, reused: int) -> int:
    """How many layout processes: one a part to lay out, up to `jobs`; with reused parts,
    every one of `jobs`: those with little to lay out make the reused parts' footers once the
    numbers are known."""
    return min(jobs, todo + (jobs if reused else 0))


def footers(layout: Layout, first: int, total: int, html: str) -> Rendered:
    """Pages of footers ("page X of Y") alone, numbered from `first` of `total`."""
    with page_numbers(first, total):
        return lay_out(replace(layout, html=html), PdfOptions())


class Workers:
    """Processes, each taking the next part to lay out from one queue (the parts largest first:
    a process that finishes early takes more, whatever the estimates said), laying it out
    (internals.Part) and saying at once how long it is and where its anchors fall; once the
    queue is empty, writing its parts (painting: about half of the work) while
    this process numbers the book and lays out its contents; then, told where each part
    starts and how long the book is, making the parts' numbered footers, and any other
    footers it is given. They keep the build's deadline and add to one count of pages
    (`budget`, starting with the reused parts' pages), so the book's limits hold for the
    whole book, not for each part.

    A thread here reads every message as it comes (`inbox`): a process sending a written part
    never waits on a full pipe while this one is busy laying out the contents.
    """

    def __init__(
        self,
        todo: list[int],
        count: int,
        htmls: list[str],
        layout: Layout,
        options: PdfOptions,
        reused_pages: int = 0,
    ) -> None:
        import queue
        import threading

        from build_report.processes import context

        ctx = context()
        self.pipes = []
        self.processes = []
        self.todo = todo
        # the book's pages, counted by every process (max_pages holds for the whole book)
        self.budget = ctx.Value("q", reused_pages)
        self.options = options = replace(options, page_budget=self.budget)
        # how many of `todo` the processes have taken (kept here: a spawned process finds the
        # lock by name, gone once this process drops it)
        self.taken = taken = ctx.Value("i", 0)
        parts = [(i, htmls[i]) for i in todo]
        for _ in range(count):
            mine, theirs = ctx.Pipe()
            process = ctx.Process(
                target=serve,
                args=(theirs, parts, taken, layout, options, os.getpid()),
                daemon=True,
            )
            process.start()
            theirs.close()
            self.pipes.append(mine)
            self.processes.append(process)
        self.inbox: queue.Queue = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    @property
    def count(self) -> int:
        return len(self.pipes)

    def _read(self) -> None:
        """Every message of every process, into the inbox, until each pipe is closed."""
        from multiprocessing.connection import wait

        open_pipes = list(self.pipes)
        ended: set[int] = set()
        while open_pipes:
            try:
                ready = wait(open_pipes)
            except OSError:  # closed here (close)
                return
            for pipe in ready:
                try:
                    message = pipe.recv()
                except (EOFError, OSError):
                    open_pipes.remove(pipe)
                    if id(pipe) not in ended:  # a process that died before its end
                        self.inbox.put(("eof",))
                    continue
                if message[0] in ("end", "error", "crash"):
                    ended.add(id(pipe))
                self.inbox.put(message)

    def _next(self):
        """The next message, waiting no later than the build's deadline (then the time_limit
        error: `close` kills the processes)."""
        import queue

        deadline = self.options.deadline
        try:
            message = self.inbox.get(timeout=None if deadline is None else max(deadline.left(), 0))
        except queue.Empty:
            raise deadline.error() from None
        if message[0] == "error":
            raise message[1]
        if message[0] == "crash":
            raise RuntimeError(f"a layout process failed:\n{message[1]}")
        if message[0] == "eof":
            raise RuntimeError("a layout process ended without a result")
        return message

    def counted(self) -> dict[int, tuple[int, dict[str, int], int | None]]:
        """Each part's pages, anchors ({anchor: page index}) and where a live window stopped
        (live.py), as soon as every part is laid out (written or not)."""
        found: dict[int, tuple[int, dict[str, int], int | None]] = {}
        self.early: list = []  # what came meanwhile (a part written already)
        while len(found) < len(self.todo):
            message = self._next()
            if message[0] == "counted":
                found[message[1]] = (message[2], message[3], message[4])
            else:
                self.early.append(message)
        return found

    def number(self, firsts: dict[int, int], total: int, extra: list) -> None:
        """Where each part starts, the book's length, and the footers each process makes."""
        for k, pipe in enumerate(self.pipes):
            pipe.send((firsts, total, extra[k :: self.count]))

    def results(self) -> tuple[dict[int, Rendered], dict[int, bytes], dict[int, Rendered]]:
        """Each part written (without page numbers), its footers, and the other footers."""
        laid: dict[int, Rendered] = {}
        numbered: dict[int, bytes] = {}
        made: dict[int, Rendered] = {}
        ended = 0
        pending = list(getattr(self, "early", []))
        while ended < self.count:
            message = pending.pop(0) if pending else self._next()
            if message[0] == "end":
                ended += 1
            elif message[0] == "laid":
                laid[message[1]] = message[2]
            elif message[0] == "numbers":
                numbered[message[1]] = message[2]
            else:
                made[message[1]] = message[2]
        return laid, numbered, made

    def close(self) -> None:
        """End every process: SIGKILL, as the engine may catch what SIGTERM raises."""
        for process in self.processes:
            if process.is_alive():
                process.kill()
            process.join()
        for pipe in self.pipes:
            pipe.close()


def serve(
    pipe, parts: list[tuple[int, str]], taken, layout: Layout, options: PdfOptions, parent: int
) -> None:
    """A layout process (see Workers). Module-level, so a spawned process can find it. It
    dies with the process that started it, which may be killed at the build's deadline."""
    from build_report.pdf.internals import Part
    from build_report.processes import child_exit, die_with_parent

    die_with_parent(parent)
    try:
        held = {}
        while True:  # parts laid out until none is left: the book's numbers wait on them all
            with taken.get_lock():
                k = taken.value
                taken.value = k + 1
            if k >= len(parts):
                break
            i, html = parts[k]
            held[i] = Part(replace(layout, html=html), options, paint=False)
            stopped = held[i].pagination.stopped  # a live window's end (live.py)
            pipe.send(("counted", i, held[i].pages, held[i].anchors(), stopped))
        mine = list(held)
        for i in mine:
            pipe.send(("laid", i, held[i].write()))
        firsts, total, extra = pipe.recv()
        for i in mine:
            pipe.send(("numbers", i, held.pop(i).numbers(firsts[i], total)))
        for i, first, html in extra:
            pipe.send(("footers", i, footers(layout, first, total, html)))
        pipe.send(("end",))
    except click.ClickException as exc:
        pipe.send(("error", exc))
    except BaseException:  # a bug: its traceback goes to the main process
        import traceback

        pipe.send(("crash", traceback.format_exc()))
    finally:
        pipe.close()
        child_exit()
