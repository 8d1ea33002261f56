"""The yardstick client: the least a fast batch counter must do, written for the benchmark.

Reads the CSV, turns each row into a request body (split lists on ';'), POSTs every body with
aiohttp at a fixed concurrency (N workers over one connector capped at N connections) and
writes `row, results_count` to a CSV. No validation, no journal, no retries, no workbook.

Usage: python bench/reference_client.py INPUT.csv BASE_URL CONCURRENCY OUTPUT.csv
Prints one JSON line: {"rows", "ok", "read_s", "count_s", "write_s"}.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import sys
import time
from typing import Any

import aiohttp

PATH = "/api/v1/search/realtime/leads/count/"
FIELDS = {
    "Job Titles": "job_titles",
    "Seniorities": "seniorities",
    "Locations": "locations",
    "Company Industries": "company_industries",
    "Company Headcounts": "company_headcounts",
}


def read_bodies(path: str) -> list[dict[str, Any]]:
    bodies = []
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            body = {}
            for header, field in FIELDS.items():
                values = [v.strip() for v in (row.get(header) or "").split(";") if v.strip()]
                if values:
                    body[field] = values
            bodies.append(body)
    return bodies


async def count_all(url: str, bodies: list[dict[str, Any]], concurrency: int) -> list[int | None]:
    results: list[int | None] = [None] * len(bodies)
    headers = {"Authorization": f"Token {os.environ.get('GENERECT_API_KEY', 'test_bench')}"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    next_index = iter(range(len(bodies)))

    async with aiohttp.ClientSession(url, connector=connector, headers=headers) as session:

        async def worker() -> None:
            for i in next_index:
                async with session.post(PATH, json=bodies[i]) as response:
                    payload = await response.json()
                    if response.status == 200:
                        results[i] = payload["data"]["results_count"]

        await asyncio.gather(*(worker() for _ in range(min(concurrency, len(bodies)))))
    return results


def main(source: str, url: str, concurrency: int, output: str) -> None:
    t0 = time.perf_counter()
    bodies = read_bodies(source)
    t1 = time.perf_counter()
    results = asyncio.run(count_all(url, bodies, concurrency))
    t2 = time.perf_counter()
    with open(output, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["row", "results_count"])
        writer.writerows((i + 2, "" if r is None else r) for i, r in enumerate(results))
    t3 = time.perf_counter()
    ok = sum(1 for r in results if r is not None)
    print(
        json.dumps(
            {
                "rows": len(bodies),
                "ok": ok,
                "read_s": t1 - t0,
                "count_s": t2 - t1,
                "write_s": t3 - t2,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
