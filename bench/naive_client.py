"""The baseline an analyst would write: one request at a time, `httpx.post` in a loop.

Usage: python bench/naive_client.py INPUT.csv BASE_URL ROWS OUTPUT.csv
Counts the first ROWS rows; prints one JSON line {"rows", "ok", "count_s"}.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import time

import httpx
from reference_client import PATH, read_bodies


def main(source: str, url: str, rows: int, output: str) -> None:
    bodies = read_bodies(source)[:rows]
    headers = {"Authorization": f"Token {os.environ.get('GENERECT_API_KEY', 'test_bench')}"}
    started = time.perf_counter()
    counts = []
    for body in bodies:
        response = httpx.post(url + PATH, json=body, headers=headers, timeout=300)
        counts.append(response.json()["data"]["results_count"] if response.is_success else "")
    elapsed = time.perf_counter() - started
    with open(output, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([[c] for c in counts])
    ok = sum(1 for c in counts if c != "")
    print(json.dumps({"rows": len(bodies), "ok": ok, "count_s": elapsed}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
