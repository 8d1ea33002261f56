"""`batchcount.count`: the `run` command as a function that returns the Results table.

The same orchestration as the command line (`api.job.run_job`): every money rule holds
(estimate before spending, duplicates sent once, `max_cost` with in-flight requests reserved,
stored counts reused, test mode kept apart from live answers), only the front end differs
(no prompt: `yes` or `confirm`; output only with `progress`).

Where the answers are kept (so a rerun never pays twice): the per-user count store, the same
one `batchcount run` uses (`api.userdata`), keyed by segment, API and test/live kind:
- `output=` given: the workbook (or CSV) is written there, exactly as
  `batchcount run INPUT -o OUTPUT` does: the command line and Python resume each other's runs.
- no `output` (the default): no file is written; rerunning a notebook cell (or the same
  segments in another table) reuses every answer counted within `max_age`.
- `store=` names the count store file (or its folder) explicitly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from batchcount.api import job
from batchcount.api.inputs import Columns, Data, input_options
from batchcount.api.options import RunOptions
from batchcount.api.outcome import RunOutcome
from batchcount.api.progress import Confirm, NotebookUI, ProgressArg
from batchcount.api.userdata import chosen_store
from batchcount.errors import BatchcountError, RunStopped, StopRun
from batchcount.plan.explode import DEFAULT_MAX_SEGMENTS
from batchcount.store.age import parse_age

if TYPE_CHECKING:
    import polars as pl

__all__ = ["count"]


def count(
    data: Data,
    *,
    output: str | os.PathLike[str] | None = None,
    mode: Literal["realtime", "database"] | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    sandbox: bool = False,
    yes: bool = False,
    confirm: Confirm | None = None,
    max_cost: float | None = None,
    price: float | None = None,
    concurrency: int | Literal["auto"] = "auto",
    max_concurrency: int = 50,
    timeout: float = 300.0,
    connect_timeout: float = 10.0,
    max_retries: int = 5,
    fresh: bool = False,
    store: str | os.PathLike[str] | None = None,
    max_age: str | timedelta | None = None,
    preflight: bool = False,
    compare: str | os.PathLike[str] | None = None,
    canary: int | None = None,
    progress: ProgressArg = True,
    sheet: str | int | None = None,
    encoding: str | None = None,
    columns: Columns = None,
    mapping: str | os.PathLike[str] | None = None,
    separator: str | Mapping[str, str] | None = None,
    allow_unknown: bool = False,
    header_row: int | None = None,
    explode: str | Sequence[str] = (),
    max_segments: int = DEFAULT_MAX_SEGMENTS,
    fill_down: str | Sequence[str] = (),
    include_hidden: bool = False,
) -> pl.DataFrame:
    """Count every segment of `data` and return the Results table as a polars DataFrame.

    `data`: a polars or pandas DataFrame, a list of dicts (one per segment), or the path of
    a spreadsheet (.xlsx, .xls, .ods, .csv, ...). Columns map to API fields by their headers,
    as on the command line ("Job Titles" -> job_titles); `columns={"Persona": "job_titles"}`
    overrides (a header mapped to None is not sent), `mapping=` reads a mapping file.

    Returns one row per input row, in order: the input's columns as the text that was sent
    from, then results_count, status (ok / invalid / failed / skipped), amount_charged (the
    API's receipt), message and request (the exact JSON body). Messages cite row numbers as
    a sheet does: the header is row 1, so the first row of a DataFrame is row 2.

    Money: requests are sent only with `yes=True`, or when `confirm(quote)` returns True
    (`quote` is a `batchcount.Quote`: billable requests, price, cost, balance, test mode;
    `str(quote)` is the command line's estimate). Without either, `ConfirmationRequired` is
    raised before anything is sent; a declining callback raises `NotConfirmed`. `max_cost`
    (dollars) stops the run before it could be exceeded. Duplicate segments are sent once.
    Counts already in the count store (younger than `max_age`: "12h", "7d", a timedelta;
    default 30 days) are reused, never paid for again (see the module notes for where the
    store lives; `fresh=True` recounts every segment, asked like any cost). `preflight=True`
    asks the free database count first and skips segments it finds empty.

    Where requests go: `sandbox=True` runs against the built-in test-mode server on loopback
    (no key, no cost, fictional counts); otherwise `api_key` (default: env GENERECT_API_KEY;
    a test_ key runs in Generect's test mode) and `base_url` (default: env GENERECT_API_BASE,
    else https://api.generect.com).

    `concurrency`: requests in flight, a number (1-500), or "auto" (the default: starts at 10
    and finds the API's limit, up to `max_concurrency`). `timeout` (seconds per
    answer), `connect_timeout`, `max_retries`, `price` (per request when the account's tier
    cannot be read), `mode` ("realtime", the default, or "database"), `sheet`, `encoding`,
    `separator`, `allow_unknown`: as the command line's options of the same names.

    `compare`: an earlier batchcount output (.xlsx) to set the counts beside, matched by
    segment (as `--compare`): adds previous_count, previous_counted_at, change, change_pct.

    `canary`: count the first N billable requests first, then call `confirm` a second time
    with a `Quote` for the rest whose `.canary_results` holds the canary's answers (label,
    filters, count); False stops there (`RunStopped`, the rest `skipped`; rerunning the same
    call pays only for the rest). With `yes=True` it goes on unless a canary request failed.

    `progress`: True prints the command line's messages and a progress bar (a widget in
    Jupyter); a callable receives each `batchcount.Progress` instead; False is silent.

    Raises (all `batchcount.BatchcountError`, with the command line's messages): UsageError
    (bad options, nothing read or sent; ConfirmationRequired is one), InputFileError (the data
    cannot be read), OutputFileError, JournalError, StopRun (e.g. the key is rejected before
    anything is sent; NotConfirmed is one), RunStopped (stopped early: `.results` holds the
    table so far; rerun the same call to resume).
    """
    inputs = input_options(
        data,
        sheet=sheet,
        encoding=encoding,
        columns=columns,
        mapping=mapping,
        separator=separator,
        mode=mode,
        allow_unknown=allow_unknown,
        header_row=header_row,
        explode=explode,
        max_segments=max_segments,
        fill_down=fill_down,
        include_hidden=include_hidden,
    )
    key = api_key if api_key is not None else os.environ.get("GENERECT_API_KEY")
    out = Path(output).expanduser() if output is not None else None
    age = parse_age(max_age) if isinstance(max_age, str) else max_age
    finished: list[RunOutcome] = []
    options = RunOptions(
        inputs=inputs,
        output=out,
        yes=bool(yes),
        api_key=key,
        base_url=base_url or os.environ.get("GENERECT_API_BASE") or None,
        sandbox=bool(sandbox),
        concurrency=concurrency,
        max_concurrency=max_concurrency,
        timeout=timeout,
        connect_timeout=connect_timeout,
        max_retries=max_retries,
        max_cost=max_cost,
        price=price,
        fresh=bool(fresh),
        compare=Path(compare).expanduser() if compare is not None else None,
        canary=canary,
        workbook=out is not None,
        store=chosen_store(store) if store is not None else None,
        max_age=age,
        preflight=bool(preflight),
        sink=finished.append,
    )
    ui = NotebookUI(confirm=confirm, progress=progress, secret=key)
    try:
        code = job.run_job(options, ui)
    except BatchcountError as exc:
        raise _redacted(exc, key) from None  # as the command line: no key in any message
    finally:
        ui.progress_done()
    if not finished:  # every way out without a Results table raises above; be loud if not
        raise StopRun(f"the run ended without results (exit code {code}); nothing was written")
    return _result(finished[0], key)


def _result(outcome: RunOutcome, key: str | None) -> pl.DataFrame:
    from batchcount.output.frame import results_frame

    frame = results_frame(outcome.headers, outcome.rows, outcome.extra_columns)
    if outcome.stop_reason:
        reason = _redacted_text(outcome.stop_reason, key)
        raise RunStopped(
            f"Stopped early: {reason}. Rerun the same call to resume: answered segments are "
            "never sent again (the table so far is in this exception's .results).",
            reason,
            frame,
            outcome.exit_code,
        )
    return frame


def _redacted_text(text: str, key: str | None) -> str:
    secret = (key or "").strip()
    return text.replace(secret, "***") if secret else text


def _redacted(exc: BatchcountError, key: str | None) -> BatchcountError:
    exc.message = _redacted_text(exc.message, key)
    exc.args = (exc.message,)
    return exc
