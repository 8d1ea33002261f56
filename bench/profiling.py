"""Profile the hot paths the benchmarks measure (needs pyinstrument and py-spy in the venv).

python bench/profiling.py check [ROWS]        pyinstrument on `batchcount check` (100k rows)
python bench/profiling.py run [CONCURRENCY]   py-spy --gil on `batchcount run` (2000 segments,
                                            100 ms sandbox): where the workers hold the GIL
python bench/profiling.py rerun [ROWS]        pyinstrument on a rerun with everything journaled
"""

from __future__ import annotations

import collections
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import data
import procs

BIN = Path(procs.PYTHON).parent
KEY_ENV = {"GENERECT_API_KEY": "test_bench"}


def pyinstrument(args: list[str], work: Path, env: dict[str, str] | None = None) -> None:
    report = work / "profile.txt"
    subprocess.run(
        [str(BIN / "pyinstrument"), "-o", str(report), "-m", "batchcount", *args],
        env={**os.environ, **(env or {})},
        cwd=work,
        stdout=subprocess.DEVNULL,
        check=False,  # check exits 1 when some rows are invalid
    )
    print(report.read_text())


def gil_top(raw: Path, limit: int = 25) -> None:
    """Inclusive share of GIL-holding samples per function, worker threads only."""
    totals: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if "Runner._work" not in stack:
            continue
        samples += int(count)
        for name in {frame.split(" (")[0] for frame in stack.split(";")}:
            totals[name] += int(count)
    print(f"{samples} GIL samples in worker threads; inclusive share:")
    for name, count in totals.most_common(limit):
        print(f"  {100 * count / max(samples, 1):5.1f}%  {name}")


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "check"
    work = Path(tempfile.mkdtemp(prefix="batchcount-profile-"))
    os.environ["BATCHCOUNT_STORE"] = str(work / "counts.sqlite")  # never the user's own store
    try:
        if what == "check":
            rows = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
            pyinstrument(["check", str(data.big_workbook(rows))], work)
        elif what == "run":
            level = sys.argv[2] if len(sys.argv) > 2 else "50"
            source = data.segments_csv(2000)
            raw = work / "spy.txt"
            with procs.sandbox(0.1) as server:
                subprocess.run(
                    [
                        str(BIN / "py-spy"),
                        "record",
                        "--gil",
                        "--nonblocking",
                        "-r",
                        "250",
                        "-f",
                        "raw",
                        "-o",
                        str(raw),
                        "--",
                        procs.PYTHON,
                        "-m",
                        "batchcount",
                        "run",
                        str(source),
                        "-o",
                        str(work / "out.xlsx"),
                        "--yes",
                        "-q",
                        "--concurrency",
                        level,
                    ],
                    env={**os.environ, **KEY_ENV, "GENERECT_API_BASE": server.url},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    check=True,
                )
            gil_top(raw)
        elif what == "rerun":
            rows = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
            args = [
                "run",
                str(data.big_workbook(rows)),
                "-o",
                str(work / "out.xlsx"),
                "--yes",
                "-q",
            ]
            with procs.sandbox(0.0) as server:
                env = {**KEY_ENV, "GENERECT_API_BASE": server.url}
                procs.run_timed([procs.PYTHON, "-m", "batchcount", *args], env=env, ok_codes=(0, 1))
                pyinstrument(args, work, env=env)
        else:
            raise SystemExit(__doc__)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
