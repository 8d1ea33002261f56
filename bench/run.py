"""batchcount benchmarks: `python bench/run.py` (full, ~9 min) or `python bench/run.py --quick`.

Every figure is a ratio against a yardstick measured in the same run on the same machine:
1. throughput: `batchcount run` (a subprocess: start-up, journal and workbook included) against
   the ideal (rows x latency / concurrency) and a minimal aiohttp client (reference_client.py),
   both talking to `batchcount sandbox` in its own process (its own GIL);
2. check: `batchcount check` on a 100k-row x 15-column workbook against the bare
   polars/calamine read of the same file (bare_read.py), each a fresh process;
3. end to end: `run` on the 100k-row workbook against a zero-latency sandbox;
4. resume: the same command again (everything in the journal) against `check`;
5. naive: one `httpx.post` at a time (naive_client.py), extrapolated to all rows;
6. writer: the Results writer alone on streamed rows (memory must stay flat);
7. adaptive: `--concurrency auto` finding a hidden parallel limit (adaptive.py).
Inputs are generated once into bench/.cache (seeded). Needs the `bench` extra (aiohttp).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import data
import procs
from adaptive import adaptive
from child import since_spawn

KEY_ENV = {"GENERECT_API_KEY": "test_bench"}
HEADER = ["#", "measurement", "batchcount", "yardstick", "ratio", "target", "verdict"]


class Report:
    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self.notes: list[str] = []

    def add(self, *cells: str) -> None:
        self.rows.append([*cells, *[""] * (len(HEADER) - len(cells))])

    def render(self) -> str:
        table = [HEADER, *self.rows]
        widths = [max(len(r[i]) for r in table) for i in range(len(HEADER))]
        rule = "  ".join("-" * w for w in widths)
        lines = [
            rule,
            *("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in table),
        ]
        lines.insert(2, rule)
        return "\n".join([*(line.rstrip() for line in lines), rule, *self.notes])


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def batchcount(*args: str) -> list[str]:
    """The CLI through child.py: unchanged, plus phase timestamps (BENCH_PHASES)."""
    return [procs.PYTHON, str(procs.BENCH / "child.py"), *args]


def script(name: str, *args: object) -> list[str]:
    return [procs.PYTHON, str(procs.BENCH / name), *map(str, args)]


def fresh_dir(root: Path, name: str) -> Path:
    path = root / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def last_json(text: str) -> dict[str, float]:
    info: dict[str, float] = json.loads(text.strip().splitlines()[-1])
    return info


def throughput(report: Report, work: Path, rows: int, levels: list[int], repeat: int) -> float:
    """Returns batchcount's median wall time at concurrency 50 (or the last level)."""
    latency = 0.1
    source = data.segments_csv(rows)
    walls: dict[int, float] = {}
    busiest = 0.0
    for level in levels:
        ideal = rows * latency / level
        ref_walls, run_walls, ref_counts, run_counts = [], [], [], []
        with procs.sandbox(latency) as server:
            for attempt in range(repeat):
                log(f"throughput c={level} try {attempt + 1}/{repeat}")
                cpu = server.cpu()
                ref = procs.run_timed(
                    script("reference_client.py", source, server.url, level, work / "ref.csv"),
                    env=KEY_ENV,
                )
                busiest = max(busiest, (server.cpu() - cpu) / ref.wall)
                info = last_json(ref.stdout)
                if info["ok"] != rows:
                    raise RuntimeError(f"reference client: {info['ok']}/{rows} answered")
                folder = fresh_dir(work, f"tp{level}")
                out = folder / "segments.counted.xlsx"
                cpu = server.cpu()
                command = ["run", str(source), "-o", str(out), "--yes", "-q"]
                # a count store of its own: the reference client remembers nothing either
                run = procs.run_timed(
                    batchcount(*command, "--concurrency", str(level)),
                    env={
                        **KEY_ENV,
                        "GENERECT_API_BASE": server.url,
                        "BATCHCOUNT_STORE": str(folder / "counts.sqlite"),
                    },
                    phases=True,
                )
                busiest = max(busiest, (server.cpu() - cpu) / run.wall)
                ref_walls.append(ref.wall)
                ref_counts.append(info["count_s"])
                run_walls.append(run.wall)
                run_counts.append(run.phases["count"]["seconds"])
            in_flight = server.stats().get("max_in_flight", level)
        ref_s, run_s = statistics.median(ref_walls), statistics.median(run_walls)
        count_s, ref_count_s = statistics.median(run_counts), statistics.median(ref_counts)
        walls[level] = run_s
        target = {10: 1.05, 50: 1.10}.get(level)
        ok = run_s / ref_s <= target if target else run_s <= min(walls.values())
        what = f"run, {rows} rows, 100 ms, c={level}"
        report.add("1", what, f"{run_s:.2f} s", f"reference {ref_s:.2f} s", f"{run_s / ref_s:.3f}",
                   f"<= {target:.2f}" if target else "no collapse", verdict(ok))  # fmt: skip
        report.add("", "", "", f"ideal {ideal:.2f} s", f"{run_s / ideal:.3f}")
        report.add("", "  counting phase alone", f"{count_s:.2f} s",
                   f"reference {ref_count_s:.2f} s", f"{count_s / ref_count_s:.3f}")  # fmt: skip
        if in_flight < level:
            report.notes.append(f"! c={level}: the sandbox saw only {in_flight} in flight")
    report.notes.append(
        f"1: medians of {repeat}; reference = csv + aiohttp, same concurrency and sandbox; the "
        f"sandbox process used at most {100 * busiest:.0f}% of a core (it keeps up)"
    )
    return walls.get(50, walls[levels[-1]])


def check_vs_bare_read(report: Report, work: Path, rows: int, repeat: int) -> None:
    """`batchcount check` against the bare polars/calamine read of the same workbook, each a
    fresh process (start-up and imports included on both sides), alternated, best of N."""
    path = data.big_workbook(rows)
    width = len(data.BIG_HEADERS)
    checks, bares = [], []
    for attempt in range(repeat):
        log(f"check vs bare read: {path.name} try {attempt + 1}/{repeat}")
        bares.append(procs.run_timed(script("bare_read.py", path)))
        checks.append(procs.run_timed(batchcount("check", str(path)), cwd=work, ok_codes=(0, 1)))
    check = min(checks, key=lambda r: r.wall)
    bare = min(bares, key=lambda r: r.wall)
    rss = max(r.peak_rss_mib for r in checks)
    ratio = check.wall / bare.wall
    what = f"check, {rows // 1000}k x {width} xlsx"
    report.add("2", what, f"{check.wall:.2f} s", f"bare polars/calamine read {bare.wall:.2f} s",
               f"{ratio:.3f}", "<= 1.5", verdict(ratio <= 1.5))  # fmt: skip
    cpu_ratio = min(r.cpu for r in checks) / min(r.cpu for r in bares)
    report.add("", "  CPU (user + sys)", f"{min(r.cpu for r in checks):.2f} s",
               f"{min(r.cpu for r in bares):.2f} s", f"{cpu_ratio:.3f}")  # fmt: skip
    report.add("", "  peak RSS", f"{rss:.0f} MiB", "", "", "<= 600 MiB", verdict(rss <= 600))
    report.notes.append(
        f"2: best of {repeat}, alternated; bare = python bench/bare_read.py "
        "(polars.read_excel(engine='calamine'))"
    )


def end_to_end(report: Report, work: Path, rows: int, level: int) -> None:
    source = data.big_workbook(rows)
    out = fresh_dir(work, "e2e") / "segments.counted.xlsx"
    command = batchcount("run", str(source), "-o", str(out), "--yes", "-q")
    command += ["--concurrency", str(level)]
    with procs.sandbox(0.0) as server:
        env = {**KEY_ENV, "GENERECT_API_BASE": server.url}
        log(f"end to end: {rows} rows, zero latency, c={level}")
        first = procs.run_timed(command, env=env, phases=True, ok_codes=(0, 1))
        sent = int(server.stats()["count_requests"])
        log("resume: the same command again (twice), everything in the journal")
        reruns = [procs.run_timed(command, env=env, phases=True, ok_codes=(0, 1)) for _ in "ab"]
        sent_again = int(server.stats()["count_requests"]) - sent
    check = min(
        (
            procs.run_timed(batchcount("check", str(source)), cwd=work, ok_codes=(0, 1))
            for _ in "ab"
        ),
        key=lambda r: r.wall,
    )
    phases, write = first.phases, first.phases["write"]
    growth = write["peak_during_mib"] - write["rss_before_mib"]
    req_s = sent / phases["count"]["seconds"]
    rates = f"{rows / first.wall:,.0f} rows/s, {req_s:,.0f} req/s"
    what = f"run, {rows // 1000}k rows ({sent:,} requests), 0 ms, c={level}"
    report.add("3", what, f"{first.wall:.1f} s", rates)
    report.add("", "  writing the workbook", f"{write['seconds']:.2f} s", "", "", "<= 12 s",
               verdict(write["seconds"] <= 12))  # fmt: skip
    report.add("", "  RSS growth while writing", f"{growth:+.0f} MiB",
               f"peak RSS {first.peak_rss_mib:.0f} MiB")  # fmt: skip
    starts = [since_spawn(r.phases, "finish") or r.wall for r in reruns]
    startup = min(starts)
    report.add("4", f"resume start-up, {sent:,} journaled", f"{startup:.2f} s",
               f"check {check.wall:.2f} s", f"{startup - check.wall:+.2f} s", "<= +1 s",
               verdict(startup - check.wall <= 1 and sent_again == 0))  # fmt: skip
    report.notes.append(
        "3-4: start-up = spawn until the Results start streaming (nothing to send; "
        f"{sent_again} re-sent); best of 2 reruns"
    )


def naive(report: Report, work: Path, rows: int, sample: int, run_s: float) -> None:
    source = data.segments_csv(rows)
    with procs.sandbox(0.1) as server:
        log(f"naive loop on {sample} rows")
        result = procs.run_timed(
            script("naive_client.py", source, server.url, sample, work / "naive.csv"),
            env=KEY_ENV,
        )
    info = last_json(result.stdout)
    estimate = info["count_s"] / info["rows"] * rows
    report.add("5", f"naive httpx.post loop, {rows} rows", f"{run_s:.2f} s (c=50)",
               f"naive {estimate:.0f} s", f"{estimate / run_s:.0f}x faster")  # fmt: skip
    report.notes.append(f"5: the naive loop timed on {info['rows']} rows, extrapolated")


def writer(report: Report, work: Path, sizes: list[int]) -> None:
    for n in sizes:
        log(f"writer alone: {n} rows")
        result = procs.run_timed(script("writer_bench.py", n, work / "w.xlsx"))
        info = last_json(result.stdout)
        report.add("6", f"Results writer alone, {n // 1000}k rows", f"{info['seconds']:.2f} s",
                   f"RSS growth {info['growth_mib']:+.1f} MiB")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs, one try each")
    parser.add_argument("--only", default="1,2,3,5,6,7", help="sections to run (default: all)")
    parser.add_argument("--repeat", type=int, help="tries per throughput level (median)")
    args = parser.parse_args()
    tp_rows, big = (500, 20_000) if args.quick else (2000, 100_000)
    repeat = args.repeat or (1 if args.quick else 3)
    only = set(args.only.split(","))
    started, load = time.perf_counter(), os.getloadavg()[0]
    report = Report()
    report.notes.append(f"bytecode compiled first, as pip install does: {procs.compile_package()}")
    work = Path(tempfile.mkdtemp(prefix="batchcount-bench-"))
    os.environ["BATCHCOUNT_STORE"] = str(work / "counts.sqlite")  # never the user's own store
    try:
        run_50 = tp_rows * 0.1 / 50
        if "1" in only:
            run_50 = throughput(report, work, tp_rows, [10, 50, 100], repeat)
        if "2" in only:
            check_vs_bare_read(report, work, big, 2 if args.quick else 5)
        if "3" in only or "4" in only:
            end_to_end(report, work, big, 10)
        if "5" in only:
            naive(report, work, tp_rows, 50 if args.quick else 200, run_50)
        if "6" in only:
            writer(report, work, [big // 10, big])
        if "7" in only:
            adaptive(report, work, 400 if args.quick else 1000, with_retry_after=not args.quick)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"batchcount bench ({'quick' if args.quick else 'full'}): {os.cpu_count()} cores, "
        f"load {load:.1f} before / {os.getloadavg()[0]:.1f} after, "
        f"{time.perf_counter() - started:.0f} s"
    )
    print(report.render())


if __name__ == "__main__":
    main()
