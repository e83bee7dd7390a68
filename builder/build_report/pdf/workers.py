"""The layout processes of a chapter-parallel build (parallel.py), forked where that is safe and
spawned elsewhere (processes.py), each laying out and writing its parts, then numbering them."""

from __future__ import annotations

import os
from dataclasses import replace

import click

from build_report.pdf.adapter import Layout, PdfOptions, Rendered, lay_out
from build_report.pdf.internals import page_numbers


def assign(todo: list[int], sizes: list[int], jobs: int, reused: int) -> list[list[int]]:
    """The parts to lay out, largest first, each given to the process with the least so far.
    With reused parts, every process is started: those with little to lay out make the
    reused parts' footers once the numbers are known."""
    count = min(jobs, len(todo) + (jobs if reused else 0))
    loads: list[tuple[int, list[int]]] = [(0, []) for _ in range(count)]
    for i in todo:
        loads.sort(key=lambda load: load[0])
        size, mine = loads[0]
        mine.append(i)
        loads[0] = (size + sizes[i], mine)
    loads.sort(key=lambda load: -load[0])  # the busiest first: footers go to the last
    return [mine for _, mine in loads]


def footers(layout: Layout, first: int, total: int, html: str) -> Rendered:
    """Pages of footers ("page X of Y") alone, numbered from `first` of `total`."""
    with page_numbers(first, total):
        return lay_out(replace(layout, html=html), PdfOptions())


class Workers:
    """Processes, each laying out and writing its parts (internals.Part) and sending them with
    their anchors, then, once told where each part starts and how long the book is, making
    the parts' numbered footers, and laying out any other footers it is given. They keep the
    build's deadline and add to one count of pages (`budget`, starting with the reused
    parts' pages), so the book's limits hold for the whole book, not for each part."""

    def __init__(
        self,
        assignment: list[list[int]],
        htmls: list[str],
        layout: Layout,
        options: PdfOptions,
        reused_pages: int = 0,
    ) -> None:
        from build_report.processes import context

        ctx = context()
        self.pipes = []
        self.processes = []
        self.assignment = assignment
        # the book's pages, counted by every process (max_pages holds for the whole book)
        self.budget = ctx.Value("q", reused_pages)
        self.options = options = replace(options, page_budget=self.budget)
        for parts in assignment:
            mine, theirs = ctx.Pipe()
            mine_html = [(i, htmls[i]) for i in parts]
            process = ctx.Process(
                target=serve,
                args=(theirs, mine_html, layout, options, os.getpid()),
                daemon=True,
            )
            process.start()
            theirs.close()
            self.pipes.append(mine)
            self.processes.append(process)

    @property
    def count(self) -> int:
        return len(self.pipes)

    def _ready(self, pipes: list) -> list:
        """The pipes with a message, waiting no later than the build's deadline (then the
        time_limit error: `close` kills the processes)."""
        from multiprocessing.connection import wait

        deadline = self.options.deadline
        if deadline is None:
            return wait(pipes)
        ready = wait(pipes, timeout=max(deadline.left(), 0))
        if not ready and deadline.passed():
            raise deadline.error()
        return ready

    def _receive(self, pipe):
        try:
            message = pipe.recv()
        except EOFError:
            raise RuntimeError("a layout process ended without a result") from None
        if message[0] == "error":
            raise message[1]
        if message[0] == "crash":
            raise RuntimeError(f"a layout process failed:\n{message[1]}")
        return message

    def laid(self) -> dict[int, tuple[Rendered, dict[str, int]]]:
        """Each part as laid out and written (without page numbers), with its anchors, read
        from whichever process has one ready (a process waits while its pipe is full)."""
        found = {}
        pairs = zip(self.pipes, self.assignment, strict=True)
        waiting = {pipe: len(parts) for pipe, parts in pairs}
        while any(waiting.values()):
            for pipe in self._ready([p for p, n in waiting.items() if n]):
                _, i, rendered, anchors = self._receive(pipe)
                found[i] = (rendered, anchors)
                waiting[pipe] -= 1
        return found

    def number(self, firsts: dict[int, int], total: int, extra: list) -> None:
        """Where each part starts, the book's length, and the footers each process makes."""
        for k, pipe in enumerate(reversed(self.pipes)):  # the least busy first
            pipe.send((firsts, total, extra[k :: self.count]))

    def results(self) -> tuple[dict[int, bytes], dict[int, Rendered]]:
        """Each laid-out part's footers, and the other footers, as they come."""
        numbered: dict[int, bytes] = {}
        made: dict[int, Rendered] = {}
        open_pipes = list(self.pipes)
        while open_pipes:
            for pipe in self._ready(open_pipes):
                message = self._receive(pipe)
                if message[0] == "end":
                    open_pipes.remove(pipe)
                elif message[0] == "numbers":
                    numbered[message[1]] = message[2]
                else:
                    made[message[1]] = message[2]
        return numbered, made

    def close(self) -> None:
        """End every process: SIGKILL, as the engine may catch what SIGTERM raises."""
        for process in self.processes:
            if process.is_alive():
                process.kill()
            process.join()
        for pipe in self.pipes:
            pipe.close()


def serve(
    pipe, parts: list[tuple[int, str]], layout: Layout, options: PdfOptions, parent: int
) -> None:
    """A layout process (see Workers). Module-level, so a spawned process can find it. It
    dies with the process that started it, which may be killed at the build's deadline."""
    from build_report.pdf.internals import Part
    from build_report.processes import die_with_parent

    die_with_parent(parent)
    try:
        held = {}
        for i, html in parts:
            held[i] = Part(replace(layout, html=html), options)
            pipe.send(("laid", i, held[i].rendered, held[i].anchors()))
        firsts, total, extra = pipe.recv()
        for i, _ in parts:
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
