"""The Python API's side of a run: no prompt, and output only when the caller asks for it.

`yes=True` or a `confirm(quote) -> bool` callback stands in for "Proceed? [y/N]": without
either, a run that would send requests raises `ConfirmationRequired` before anything goes out;
a callback that answers False raises `NotConfirmed`.

`progress=True` prints the command line's messages (stdout) and draws a `tqdm.auto` bar (a
widget in Jupyter, text in a terminal, none when stderr is redirected); a callable gets every
`Progress` instead and nothing is printed; False is silent. Messages also go to the
`batchcount` logger at INFO level.

This is the one module outside `cli/` allowed to draw progress (import-linter contract
"Only the command line and the notebook progress bar import tqdm"): the bar is the point of
`progress=True`, and tqdm is already a dependency. tqdm loads only when a bar is drawn.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from batchcount.api.quote import Quote
from batchcount.errors import ConfirmationRequired, NotConfirmed
from batchcount.net.runner import Progress
from batchcount.plan.estimate import money

__all__ = ["Confirm", "NotebookUI", "ProgressArg"]

logger = logging.getLogger("batchcount")

Confirm = Callable[[Quote], bool]
ProgressArg = bool | Callable[[Progress], None]


class NotebookUI:
    """The `UI` of `api.job.run_job` for a Python caller."""

    def __init__(
        self, *, confirm: Confirm | None, progress: ProgressArg, secret: str | None = None
    ) -> None:
        self._confirm = confirm
        self._callback = progress if callable(progress) else None
        self._show = progress is True
        self._secret = (secret or "").strip()
        self._bar: Any = None
        self.lines: list[str] = []  # every message of the run, in order

    def _redact(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text

    def info(self, line: str) -> None:
        line = self._redact(line)
        self.lines.append(line)
        logger.info(line)
        if not self._show:
            return
        if self._bar is not None:
            self._bar.write(line)  # above the live bar, not through it
        else:
            print(line, flush=True)

    def confirm(self, question: str) -> bool:
        # run_job asks its questions through approve(); nothing asks a bare yes/no now,
        # but a question must never be answered "yes" silently.
        raise ConfirmationRequired(
            f"{question} Pass yes=True to do so; nothing was changed or sent."
        )

    def approve(self, quote: Quote) -> bool:
        if self._confirm is None:
            raise ConfirmationRequired(
                f"this call would send {quote.billable} billable requests ({quote.mode} mode) "
                f"at {money(quote.price)} each ({quote.price_source}): estimated cost "
                f"{money(quote.cost)}"
                + (" (test mode: nothing is charged)" if quote.test_mode else "")
                + ". Nothing was sent. Pass yes=True to spend it, or confirm=callable to "
                "decide from the estimate (batchcount.check(data) shows it for free).",
                quote,
            )
        if not self._confirm(quote):
            raise NotConfirmed(
                f"declined: the confirm callback said no to {quote.billable} billable requests "
                f"(estimated cost {money(quote.cost)}). Nothing was sent.",
                quote,
            )
        return True

    def progress(self, progress: Progress) -> None:
        if self._callback is not None:
            self._callback(progress)
            return
        if not self._show:
            return
        if self._bar is None:
            if not _can_draw():
                return  # a script whose stderr is a log file: the messages are enough
            self._bar = _new_bar(progress.total)
        self._bar.n = progress.done
        self._bar.set_postfix_str(
            f"spent {money(progress.spent)}, {progress.failed} failed"
            + (", TEST MODE" if progress.test_mode else ""),
            refresh=False,
        )
        self._bar.refresh()

    def progress_done(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _can_draw() -> bool:
    """A notebook (its kernel draws the widget) or a terminal; not a redirected stderr."""
    if "ipykernel" in sys.modules:
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False


def _new_bar(total: int) -> Any:
    try:
        from tqdm.auto import tqdm

        return tqdm(total=total, unit="req", desc="Counting", dynamic_ncols=True)
    except Exception:  # Jupyter without ipywidgets ("IProgress not found"): a text bar
        from tqdm.std import tqdm as text_tqdm

        return text_tqdm(total=total, unit="req", desc="Counting", dynamic_ncols=True)
