"""The output is checked before anything is paid for; a workbook that still cannot be written
at the end never loses what was paid.

Before: the output must be a file name in an existing, writable folder with room for at
least a small file (probed by writing and fsyncing one beside it): otherwise a usage error,
exit 2, nothing sent. After: if writing fails anyway (the disk filled during the run, Excel
holds the file), every count is already in the count store; the error gives the exact
command that writes them to another file for $0: the store holds the counts, `--max-cost 0`
sends nothing.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shlex
from pathlib import Path

from batchcount.api.options import RunOptions
from batchcount.errors import EXIT_USAGE, OutputFileError, StopRun
from batchcount.output.atomic import PROBE_SUFFIX
from batchcount.store.age import describe_age

PROBE_BYTES = 64 * 1024  # about what the store needs for its first few hundred requests

_WHY = {
    errno.ENOSPC: "the disk is full",
    getattr(errno, "EDQUOT", errno.ENOSPC): "the disk quota is used up",
    errno.EFBIG: "a file-size limit (ulimit -f) forbids writing files",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "there is no permission to write",
    errno.EPERM: "there is no permission to write",
}

# The way out, by what the system said: another folder does not lift a file-size limit.
_FIX = {
    errno.ENOSPC: "Free some space, or choose -o in a folder on another disk.",
    getattr(errno, "EDQUOT", errno.ENOSPC): "Free some space, or choose -o on another disk.",
    errno.EFBIG: "Raise the limit (ulimit -f unlimited), then rerun the same command.",
    errno.EROFS: "Choose -o in a folder you can write to.",
    errno.EACCES: "Fix the folder's permissions, or choose -o in a folder you can write to.",
    errno.EPERM: "Fix the folder's permissions, or choose -o in a folder you can write to.",
}
_FIX_ANY = "Check the folder and its disk, or choose -o in another folder."


def check_output(output: Path, store: Path | None = None) -> None:
    """Raise OutputFileError (exit 2, nothing sent) if `output` or the count store's folder
    cannot be written. Called before the input is read, the store opened or anything sent.
    A store folder that does not exist yet is created (or refused) when the store opens."""
    if output.is_dir():
        raise OutputFileError(
            f"-o {output} is a folder; give a file name, e.g. -o {output / 'results.xlsx'}. "
            "Nothing was sent."
        )
    folders = {output.parent: f"the output {output}"}
    if store is not None and store.parent.is_dir():
        folders.setdefault(store.parent, f"the count store {store}")
    for folder, what in folders.items():
        if not folder.exists():
            raise OutputFileError(
                f"cannot write {what}: the folder {folder} does not exist. Create it or "
                "choose another -o. Nothing was sent."
            )
        if not folder.is_dir():
            raise OutputFileError(
                f"cannot write {what}: {folder} is not a folder. Choose another -o. "
                "Nothing was sent."
            )
        _probe(folder, output, what)


def _probe(folder: Path, output: Path, what: str) -> None:
    # Not named like the workbook's temp file (.NAME.tmp-PID): that one means "the workbook is
    # being written", for anything watching the folder. A probe left by a kill is removed by
    # remove_stale_temp_files like a temp file.
    probe = folder / f".{output.name}{PROBE_SUFFIX}{os.getpid()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            block = b"\0" * PROBE_BYTES
            while block:
                block = block[os.write(fd, block) :]
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        why = _WHY.get(exc.errno or 0, exc.strerror or str(exc))
        fix = _FIX.get(exc.errno or 0, _FIX_ANY)
        raise OutputFileError(
            f"cannot write {what}: in the folder {folder}, {why} ({exc.strerror or exc}). "
            f"Nothing was sent. {fix}"
        ) from None
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()


class WriteFailed(StopRun):
    """The run counted (and paid), but its output could not be written. Exit 3; 2 when
    nothing was sent in this run (the answers came from the journal)."""


def write_failed(
    options: RunOptions,
    output: Path,
    store: Path,
    problem: str,
    *,
    sent: bool,
    held: bool,
    note: str = "",
) -> WriteFailed:
    """The error for an output that could not be written at the end, with the way out.

    `sent`: requests went out in this run (exit 3; else exit 2, "nothing was sent").
    `held`: the count store holds answers for this input, of this run or an earlier one:
    then the way out is the $0 command that writes them to another file.
    `note`: answers paid for in this run that the store could not hold either
    (api.limits.unrecorded_note), said instead of "every count is safe"."""
    other = _other_output(output)
    problem = problem.rstrip(". ")
    if not held:
        error = WriteFailed(
            f"{problem}. Nothing was sent, so nothing was paid for; choose another -o, "
            f"e.g. -o {other}"
        )
        error.exit_code = EXIT_USAGE
        return error
    command = shlex.join([*rewrite_base(options), "-o", str(other), "--max-cost", "0"])
    key_note = (
        " (add your --api-key as before; it is never shown)" if options.key_on_command_line else ""
    )
    safe = note or f"Every count is safe in the count store {store}."
    if not sent:
        safe = f"Nothing was sent in this run. {safe}"
    error = WriteFailed(
        f"{problem}.\n{safe} To write them "
        f"to another file for $0 (the store holds them; --max-cost 0 sends nothing), "
        f"run{key_note}:\n"
        f"  {command}\n"
        "(any -o works, e.g. on a disk with free space; keep --max-cost 0; if the store's "
        "disk is full too, copy the store to another disk and add --store COPY)"
    )
    if not sent:
        error.exit_code = EXIT_USAGE
    return error


def rewrite_base(options: RunOptions) -> list[str]:
    """`batchcount run INPUT` and the options the user gave that shape the requests, without
    -o, --journal, --max-cost, --fresh, --max-age 0 or the key."""
    if options.command:
        return ["batchcount", "run", *options.command]
    inputs = options.inputs
    args = ["batchcount", "run", str(inputs.path)]
    if inputs.sheet is not None:
        args += ["--sheet", inputs.sheet]
    for item in inputs.maps:
        args += ["--map", item]
    if inputs.mapping_file is not None:
        args += ["--mapping", str(inputs.mapping_file)]
    if inputs.separator is not None:
        args += ["--separator", inputs.separator]
    if inputs.encoding is not None:
        args += ["--encoding", inputs.encoding]
    if inputs.mode is not None:
        args += ["--mode", inputs.mode]
    if inputs.allow_unknown:
        args.append("--allow-unknown-values")
    if options.sandbox:
        args.append("--sandbox")
    if options.store is not None:
        args += ["--store", str(options.store)]
    if options.max_age is not None and options.max_age.total_seconds() > 0:
        args += ["--max-age", describe_age(options.max_age)]
    return args


def _other_output(output: Path) -> Path:
    """A name beside the output that does not exist yet."""
    for n in range(2, 1000):
        candidate = output.with_name(f"{output.stem}-{n}{output.suffix}")
        if not candidate.exists():
            return candidate
    return output.with_name(f"{output.stem}-new{output.suffix}")
