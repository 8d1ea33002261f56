"""The `batchcount` group, and main(): every failure becomes a message and an exit code."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from batchcount import __version__
from batchcount.cli.check import check
from batchcount.cli.common import redact, say
from batchcount.cli.history import history
from batchcount.cli.run import run
from batchcount.cli.sandbox import sandbox
from batchcount.cli.template import template
from batchcount.errors import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_STOPPED,
    EXIT_USAGE,
    BatchcountError,
)

# --- the group --------------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="batchcount")
def cli() -> None:
    """Size sales audiences in bulk with Generect's lead-count API.

    One spreadsheet row per segment in, an annotated workbook out. Start with
    `batchcount check FILE`, then `batchcount run FILE` (add --sandbox to try it without a key).
    """


cli.add_command(check)
cli.add_command(run)
cli.add_command(history)
cli.add_command(template)
cli.add_command(sandbox)


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (tests): nothing to install
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> None:
    """Entry point: map every failure to a message and an exit code."""
    code: int
    try:
        with _sigterm_as_interrupt():
            cli.main(args=argv, prog_name="batchcount", standalone_mode=False)
        code = EXIT_OK
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else EXIT_OK
    except click.exceptions.Abort:
        say("Stopped: nothing more was sent.")
        code = EXIT_INTERRUPTED
    except click.ClickException as exc:
        exc.show(file=sys.stderr)
        code = exc.exit_code
    except BatchcountError as exc:
        say(f"error: {exc.message}")
        code = exc.exit_code
    except KeyboardInterrupt:
        say("Interrupted: nothing more was sent.")
        code = EXIT_INTERRUPTED
    except Exception as exc:  # a bug: say so plainly, never a traceback
        detail = redact(str(exc))[:300]
        say(
            f"error: batchcount hit an unexpected problem ({type(exc).__name__}: {detail}). "
            "Nothing more was sent; rerunning the same command resumes. Please report this."
        )
        code = EXIT_PROBLEMS
    sys.stdout.flush()
    if os.environ.get("BATCHCOUNT_NO_EXIT") == "1":  # pragma: no cover - embedding
        return
    raise SystemExit(code)


__all__ = ["EXIT_STOPPED", "EXIT_USAGE", "cli", "main", "redact", "say"]
