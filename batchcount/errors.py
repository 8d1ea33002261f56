"""User-facing errors and exit codes.

Every error carries a message that says what is wrong, where, and how to fix it. The CLI
prints the message (never a traceback) and exits with the error's code.
"""

from __future__ import annotations

from batchcount.redaction import scrub

TYPE_CHECKING = False  # not from typing: every import of batchcount loads this module
if TYPE_CHECKING:  # the Python API's RunStopped carries a frame; polars loads only with it
    from typing import Any

    import polars as pl

EXIT_OK = 0
EXIT_PROBLEMS = 1  # finished, but some rows are invalid or failed
EXIT_USAGE = 2  # usage error or unreadable input; nothing was sent
EXIT_STOPPED = 3  # stopped early: key rejected, funds out, budget, declined
EXIT_INTERRUPTED = 130  # Ctrl-C


class BatchcountError(Exception):
    """Base class: an error a user can act on."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str) -> None:
        message = scrub(message)  # whatever it quotes (a server, a file), never the key
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(BatchcountError):
    """Bad options or mapping: nothing was read or sent."""


class InputFileError(BatchcountError):
    """The input file cannot be read as a spreadsheet."""


class OutputFileError(BatchcountError):
    """The output file cannot be written (locked by Excel, no permission, ...)."""


class JournalError(BatchcountError):
    """The journal beside the output is damaged or belongs to another job."""


class StopRun(BatchcountError):
    """The run must stop now (key rejected, funds out, wrong base URL)."""

    exit_code = EXIT_STOPPED


class Cancelled(Exception):
    """The run is stopping; this request was not (re)sent.

    `unanswered`: earlier attempts of it that went out and got no answer (they may be billed).
    """

    def __init__(self, unanswered: int = 0) -> None:
        super().__init__()
        self.unanswered = unanswered


# --- the Python API's refusals and stops (the command line prompts or exits instead) ---------


class ConfirmationRequired(UsageError):
    """A call that would send billable requests got neither `yes=True` nor `confirm=`.

    Raised before anything is sent. `estimate` is what the run would have cost (a
    `batchcount.Quote`), so the caller can show it and decide.
    """

    def __init__(self, message: str, estimate: Any = None) -> None:
        super().__init__(message)
        self.estimate: Any = estimate  # a batchcount.Quote


class NotConfirmed(StopRun):
    """The `confirm` callback declined the estimate: nothing was sent (the CLI's "Proceed? N")."""

    def __init__(self, message: str, estimate: Any = None) -> None:
        super().__init__(message)
        self.estimate: Any = estimate  # a batchcount.Quote


class RunStopped(StopRun):
    """The run stopped early (key rejected, funds out, `max_cost`, interrupted).

    What was counted is kept (journal, workbook) and rerunning the same call resumes.
    `results` holds the Results table so far (a polars DataFrame; rows not reached are
    `skipped`), `reason` why it stopped, `exit_code` the command line's code (3, or 130).
    """

    def __init__(self, message: str, reason: str, results: pl.DataFrame, exit_code: int) -> None:
        super().__init__(message)
        self.reason = reason
        self.results = results
        self.exit_code = exit_code
