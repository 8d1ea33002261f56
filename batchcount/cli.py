"""The command line: the only module that prints, prompts, draws progress or exits.

Errors a user can act on become a message and an exit code, never a traceback.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from batchcount import __version__
from batchcount.errors import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_STOPPED,
    EXIT_USAGE,
    BatchcountError,
    UsageError,
)
from batchcount.job import build_summary
from batchcount.pipeline import InputOptions, prepare
from batchcount.plan import estimate, fallback_price, money
from batchcount.report import input_lines, problem_lines, rows_line
from batchcount.results import Tally, check_rows_out
from batchcount.runner import Progress
from batchcount.workbook import write_output

_secrets: list[str] = []  # the API key, so no message can ever show it


def redact(text: str) -> str:
    for secret in _secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def say(message: str = "", err: bool = True) -> None:
    click.echo(redact(message), err=err)


def fail(error: BatchcountError) -> NoReturn:
    say(f"error: {error.message}")
    raise SystemExit(error.exit_code)


# --- shared options ---------------------------------------------------------------------------


def input_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path)),
        click.option(
            "--sheet", metavar="NAME", help="Workbook sheet to read (default: the first)."
        ),
        click.option(
            "--map",
            "maps",
            multiple=True,
            metavar="HEADER=field",
            help="Send column HEADER as API field (repeatable); HEADER= leaves it out.",
        ),
        click.option(
            "--mapping",
            "mapping_file",
            type=click.Path(path_type=Path),
            metavar="FILE",
            help="JSON or TOML mapping file (columns, constants).",
        ),
        click.option(
            "--separator",
            metavar="TEXT",
            help="Separator between several values in one cell (default ';').",
        ),
        click.option(
            "--encoding",
            metavar="NAME",
            help="Text file encoding (default: detected; UTF-8, UTF-16, Windows-1252).",
        ),
        click.option(
            "--mode",
            type=click.Choice(["realtime", "database"]),
            default=None,
            help="realtime (paid, live data; default) or database (free, cached).",
        ),
        click.option(
            "--allow-unknown-values",
            "allow_unknown",
            is_flag=True,
            help="Send industries/company types we do not recognise (with a warning).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _input_options(kwargs: dict[str, Any]) -> InputOptions:
    return InputOptions(
        path=kwargs["input_path"],
        sheet=kwargs["sheet"],
        encoding=kwargs["encoding"],
        maps=kwargs["maps"],
        mapping_file=kwargs["mapping_file"],
        separator=kwargs["separator"],
        mode=kwargs["mode"],
        allow_unknown=kwargs["allow_unknown"],
    )


# --- the group --------------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="batchcount")
def cli() -> None:
    """Size sales audiences in bulk with Generect's lead-count API.

    One spreadsheet row per segment in, an annotated workbook out. Start with
    `batchcount check FILE`, then `batchcount run FILE` (add --sandbox to try it without a key).
    """


@cli.command()
@input_options
@click.option(
    "--report",
    type=click.Path(path_type=Path),
    metavar="OUT.xlsx",
    help="Write the Results layout with invalid/skipped rows and their messages.",
)
@click.option(
    "--price", type=float, metavar="USD", help="Price per realtime request for the estimate."
)
def check(**kwargs: Any) -> None:
    """Read, map, validate and estimate INPUT. Makes no billable call.

    Exit 0 all rows valid, 1 some invalid, 2 unreadable input or usage error.
    """
    if kwargs["price"] is not None and kwargs["price"] < 0:
        raise UsageError(f"--price {kwargs['price']}: a price cannot be negative.")
    prepared = prepare(_input_options(kwargs))
    for line in input_lines(prepared):
        say(line, err=False)
    mode = prepared.mode
    price, source = fallback_price(mode, kwargs["price"])
    est = estimate(prepared.plan, price, source)
    say(rows_line(est), err=False)
    for line in problem_lines(prepared):
        say(line, err=False)
    say(
        f"Billable requests: {est.billable} x {money(price)} ({source}) = "
        f"estimated cost {money(est.cost)}",
        err=False,
    )
    if kwargs["report"]:
        tally = Tally.empty()
        rows = check_rows_out(prepared.plan, prepared.sheet.rows, tally)
        started = datetime.now()
        write_output(
            kwargs["report"],
            prepared.sheet.headers,
            rows,
            lambda: build_summary(prepared, est, tally, False, "check only", started),
        )
        say(f"Wrote {kwargs['report']}", err=False)
    raise SystemExit(EXIT_PROBLEMS if est.invalid else EXIT_OK)


@cli.command()
@click.argument("output", type=click.Path(path_type=Path))
def template(output: Path) -> None:
    """Write a ready input workbook (dropdowns for closed lists, instructions)."""
    from batchcount.template import write_template

    write_template(output)
    say(
        f"Wrote {output}: fill in one segment per row, then run `batchcount check {output}`.",
        err=False,
    )


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to bind.")
@click.option("--port", default=8765, show_default=True, type=int, help="Port (0 = any free one).")
@click.option(
    "--latency",
    default=0.0,
    show_default=True,
    type=float,
    help="Seconds added to every count answer.",
)
@click.option(
    "--fail-rate",
    default=0.0,
    show_default=True,
    type=float,
    help="Share of count requests answered with a transient 500/502/429.",
)
@click.option("--seed", default=0, show_default=True, type=int, help="Seed for injected faults.")
def sandbox(host: str, port: int, latency: float, fail_rate: float, seed: int) -> None:
    """Run the Generect test-mode stand-in on loopback (no real data, nothing charged)."""
    from batchcount.endpoint import is_loopback
    from batchcount.sandbox import SANDBOX_KEY, SandboxConfig, SandboxServer

    if not is_loopback(host):
        raise UsageError(f"--host {host}: the sandbox only listens on loopback (127.0.0.1, ::1).")
    if not 0 <= fail_rate <= 1:
        raise UsageError(f"--fail-rate {fail_rate}: use a share between 0 and 1, e.g. 0.1.")
    server = SandboxServer(
        SandboxConfig(host=host, port=port, latency=latency, fail_rate=fail_rate, seed=seed)
    )
    try:
        server.start()
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {host}:{port} ({exc.strerror}); try --port 0."
        ) from None
    say(f"Sandbox listening on {server.url} (test mode). Point batchcount at it with:", err=False)
    say(
        f"  GENERECT_API_BASE={server.url} GENERECT_API_KEY={SANDBOX_KEY} batchcount run FILE",
        err=False,
    )
    say("Press Ctrl-C to stop.", err=False)
    try:
        signal.pause() if hasattr(signal, "pause") else server.serve_forever()
    except KeyboardInterrupt:
        say("Sandbox stopped.", err=False)
    finally:
        server.stop()


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

    def progress(self, progress: Progress) -> None:
        if self.quiet:
            return
        postfix = f"spent {money(progress.spent)}, {progress.failed} failed" + (
            ", TEST MODE" if progress.test_mode else ""
        )
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


@cli.command()
@input_options
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Output .xlsx (or .csv). Default: INPUT.counted.xlsx beside the input.",
)
@click.option("-y", "--yes", is_flag=True, help="Do not ask before spending.")
@click.option(
    "--api-key",
    envvar="GENERECT_API_KEY",
    metavar="KEY",
    show_envvar=True,
    help="Generect API key (a test_ key runs in test mode). Prefer the env variable.",
)
@click.option(
    "--base-url",
    envvar="GENERECT_API_BASE",
    metavar="URL",
    show_envvar=True,
    default="https://api.generect.com",
    show_default=True,
    help="API base URL.",
)
@click.option(
    "--sandbox",
    is_flag=True,
    help="Run against the built-in test-mode server on loopback (no key, no cost).",
)
@click.option(
    "--concurrency", default=10, show_default=True, type=int, help="Requests in flight at once."
)
@click.option(
    "--timeout",
    default=300.0,
    show_default=True,
    type=float,
    help="Seconds to wait for one answer (realtime counts take 5-60 s).",
)
@click.option(
    "--connect-timeout",
    default=10.0,
    show_default=True,
    type=float,
    help="Seconds to wait for a connection to the API.",
)
@click.option(
    "--max-retries",
    default=5,
    show_default=True,
    type=int,
    help="Retries for 429, 5xx and network failures (with backoff).",
)
@click.option(
    "--max-cost",
    type=float,
    metavar="USD",
    help="Stop before spending more than this (in-flight requests counted).",
)
@click.option(
    "--price",
    type=float,
    metavar="USD",
    help="Price per realtime request if the account's tier cannot be read.",
)
@click.option("--fresh", is_flag=True, help="Forget the journal and start over (asks first).")
@click.option("-q", "--quiet", is_flag=True, help="No progress display.")
def run(**kwargs: Any) -> None:
    """Count every segment in INPUT and write the annotated workbook.

    Shows the estimate and asks "Proceed? [y/N]" before spending. Rerunning the same
    command resumes: segments already answered (see the journal beside the output) are
    never sent again.

    Exit codes: 0 all counted; 1 some rows invalid or failed; 2 usage or unreadable input;
    3 stopped early (key rejected, no funds, --max-cost, declined); 130 interrupted.
    """
    from batchcount.job import RunOptions, run_job

    if kwargs["api_key"]:
        _secrets.append(kwargs["api_key"].strip())
        _secrets.append(kwargs["api_key"].strip().split()[-1])
    options = RunOptions(
        inputs=_input_options(kwargs),
        output=kwargs["output"],
        yes=kwargs["yes"],
        api_key=kwargs["api_key"],
        base_url=kwargs["base_url"],
        sandbox=kwargs["sandbox"],
        concurrency=kwargs["concurrency"],
        timeout=kwargs["timeout"],
        connect_timeout=kwargs["connect_timeout"],
        max_retries=kwargs["max_retries"],
        max_cost=kwargs["max_cost"],
        price=kwargs["price"],
        fresh=kwargs["fresh"],
    )
    ui = TerminalUI(kwargs["quiet"])
    try:
        code = run_job(options, ui)
    finally:
        ui.progress_done()
    raise SystemExit(code)


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
