"""The terminal side of a run: messages above the progress bar, the prompt, the bar itself."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

import click

from batchcount.api.quote import Quote
from batchcount.cli.common import redact, say
from batchcount.plan.estimate import money

if TYPE_CHECKING:  # the runner (httpx) loads with a run, not with every command
    from batchcount.net.runner import Progress


class TerminalUI:
    """Messages and the prompt on stderr; tqdm when stderr is a terminal, else a short line
    every few seconds; nothing of the progress with -q."""

    def __init__(self, quiet: bool, stdin: Any = None) -> None:
        self.quiet = quiet
        self.stdin = stdin or sys.stdin
        self.tty = sys.stderr.isatty()
        self._bar: Any = None
        self._last_line = 0.0
        self._last_done = -1

    def info(self, line: str) -> None:
        if self._bar is not None:  # print above the live bar instead of through it
            self._bar.write(redact(line), file=sys.stderr)
        else:
            say(line)

    def confirm(self, question: str) -> bool:
        click.echo(f"{question} [y/N] ", err=True, nl=False)
        answer = self.stdin.readline()
        if not answer:
            say("(no answer: end of input)")
        elif not self.stdin.isatty():
            say(answer.strip())  # a piped answer is not echoed by a terminal: show it
        return answer.strip().lower() in ("y", "yes")

    def approve(self, quote: Quote) -> bool:
        if quote.canary_results:  # the second question of --canary: the table is on screen
            n = quote.billable
            return self.confirm(f"Count the other {n} request{'s' if n != 1 else ''}?")
        return self.confirm(quote.question)  # the estimate is already on screen

    def progress(self, progress: Progress) -> None:
        if self.quiet:
            return
        postfix = f"spent {money(progress.spent)}, {progress.failed} failed" + (
            ", TEST MODE" if progress.test_mode else ""
        )
        if progress.level:  # requests allowed in flight now (moves with --concurrency auto)
            postfix = f"c={progress.level}, {postfix}"
        if self.tty:
            from tqdm import tqdm

            if self._bar is None:
                self._bar = tqdm(
                    total=progress.total,
                    file=sys.stderr,
                    unit="req",
                    desc="Counting",
                    dynamic_ncols=True,
                )
            self._bar.n = progress.done
            self._bar.set_postfix_str(postfix, refresh=False)
            self._bar.refresh()
            return
        now = time.monotonic()
        if self._last_line == 0.0:
            self._started = now
            self._last_line = now
            return
        finished = progress.done >= progress.total
        if (finished and self._last_done == progress.done) or (
            now - self._last_line < 5 and not finished
        ):
            return
        self._last_line = now
        self._last_done = progress.done
        elapsed = max(now - self._started, 1e-6)
        rate = progress.done / elapsed
        left = (progress.total - progress.done) / rate if rate else 0
        say(
            f"counted {progress.done}/{progress.total} "
            f"({100 * progress.done // max(progress.total, 1)}%), {rate:.1f}/s, "
            f"ETA {left:.0f}s, {postfix}"
        )

    def progress_done(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
