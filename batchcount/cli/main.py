"""The `batchcount` group, and main(): every failure becomes a message and an exit code."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys

import click

from batchcount import __version__
from batchcount.api.interrupts import HeldSignals
from batchcount.cli.check import check
from batchcount.cli.common import redact, say
from batchcount.cli.history import history
from batchcount.cli.keyguard import remember_early, scrub_usage
from batchcount.cli.pipes import ensure_standard_fds, quiet_streams
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
from batchcount.redaction import shorten

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


def main(argv: list[str] | None = None) -> None:
    """Entry point: map every failure to a message and an exit code."""
    ensure_standard_fds()
    remember_early(sys.argv[1:] if argv is None else argv, os.environ)
    with quiet_streams(), HeldSignals(raising=True) as signals:
        code = _run(argv, signals)
        seen = len(signals.received)
        signals.hold()  # from here to the exit, a signal can no longer cut anything short
        sys.stdout.flush()
        if len(signals.received) > seen and code in (EXIT_OK, EXIT_PROBLEMS):
            code = EXIT_INTERRUPTED
    if os.environ.get("BATCHCOUNT_NO_EXIT") == "1":  # pragma: no cover - embedding
        return
    raise SystemExit(code)


def _run(argv: list[str] | None, signals: HeldSignals) -> int:
    # SIGTERM and SIGHUP raise KeyboardInterrupt like Ctrl-C until the run holds them
    # (api.interrupts); a write past `ulimit -f` must fail (EFBIG), not kill the process.
    with contextlib.suppress(AttributeError, ValueError, OSError):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        cli.main(args=argv, prog_name="batchcount", standalone_mode=False)
        return EXIT_OK
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except click.exceptions.Abort:  # click turns a Ctrl-C at its own prompts into Abort
        say(f"Stopped ({signals.last_name}): nothing more was sent.")
        return EXIT_INTERRUPTED
    except click.ClickException as exc:
        shown = io.StringIO()
        exc.show(file=shown)
        say(scrub_usage(shown.getvalue().rstrip("\n")))  # it may quote a misplaced key
        return exc.exit_code
    except BatchcountError as exc:
        say(f"error: {exc.message}")
        return exc.exit_code
    except KeyboardInterrupt:
        say(f"\nInterrupted ({signals.last_name}): nothing more was sent.")
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug: say so plainly, never a traceback
        detail = shorten(redact(str(exc)), 300)  # redacted first, then cut: never half a key
        say(
            f"error: batchcount hit an unexpected problem ({type(exc).__name__}: {detail}). "
            "Nothing more was sent; rerunning the same command resumes. Please report this."
        )
        return EXIT_PROBLEMS


__all__ = ["EXIT_STOPPED", "EXIT_USAGE", "cli", "main", "redact", "say"]
