"""Security: the API key never leaks, input text never becomes a formula, no clear-text key.

The key tests run the real CLI in subprocesses through every path that can write or print
(success, rejected key, network down, refused URL, Ctrl-C, a server that echoes the key back)
and scan every byte written: stdout, stderr, and each file in the output folder (zip members
of workbooks inflated, the journal with its -wal/-shm, temp files).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import openpyxl
import pytest
from openpyxl import load_workbook

import batchcount.api.job
from batchcount.cli import main
from batchcount.errors import UsageError
from batchcount.net.endpoint import check_base_url
from batchcount.sandbox.server import SandboxConfig, SandboxServer, start_sandbox

HEX_KEY = "c0ffee5ec7e7d00dfeedface0badcafe"  # a live key is bare hex
TEST_KEY = "test_s3cr3t9f8e7d6c5b4a3921"
HEADER = ["Segment", "Job Titles", "Seniorities", "Locations"]


# --- running and scanning ---------------------------------------------------------------------


@dataclass(frozen=True)
class Done:
    code: int
    out: bytes
    err: bytes

    @property
    def text(self) -> str:
        return (self.out + self.err).decode("utf-8", "replace")


def _env(base_url: str | None, key: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENERECT_")}
    if base_url is not None:
        env["GENERECT_API_BASE"] = base_url
    if key is not None:
        env["GENERECT_API_KEY"] = key
    return env


def cli(*args: str, base_url: str | None = None, key: str | None = None) -> Done:
    done = subprocess.run(
        [sys.executable, "-m", "batchcount", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=_env(base_url, key),
        timeout=60,
    )
    return Done(done.returncode, done.stdout, done.stderr)


def _forms(secret: str) -> list[bytes]:
    return [secret.encode(), secret.encode("utf-16-le"), json.dumps(secret).encode()]


def leaks(secret: str, blobs: dict[str, bytes]) -> list[str]:
    """Names of the blobs (and zip members) in which `secret` appears in any common form."""
    found = []
    for name, data in blobs.items():
        parts = {name: data}
        if data[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                parts |= {f"{name}!{m}": archive.read(m) for m in archive.namelist()}
        found += [part for part, body in parts.items() if any(f in body for f in _forms(secret))]
    return found


def store_folder() -> Path:
    """This test's count store's folder (conftest points BATCHCOUNT_STORE there)."""
    return Path(os.environ["BATCHCOUNT_STORE"]).parent


def written(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def assert_no_leak(secret: str, folder: Path, done: Done, *inputs: str) -> None:
    """`secret` (the bare key) is nowhere: not in any output byte, file or message."""
    blobs = {k: v for k, v in written(folder).items() if k not in inputs}
    blobs |= {f"store/{k}": v for k, v in written(store_folder()).items()}
    blobs |= {"<stdout>": done.out, "<stderr>": done.err}
    assert leaks(secret, blobs) == []
    assert "Traceback" not in done.text


def segments_xlsx(path: Path, rows: int = 3) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for i in range(rows):
        ws.append([f"Seg {i}", f"Title {i}", "vp", "United States"])
    wb.save(path)
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with start_sandbox(SandboxConfig(valid_keys=frozenset({HEX_KEY, TEST_KEY}))) as server:
        yield server


class _Echo(BaseHTTPRequestHandler):
    """A hostile or broken API that quotes the Authorization header back in its errors."""

    status_for_count = 400
    status_for_account = 200

    def _send(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        auth = self.headers.get("Authorization", "")
        if self.status_for_account != 200:
            self._send(self.status_for_account, {"detail": f"Invalid token: {auth}"})
        elif "tiers" in self.path:
            self._send(200, {"current_tier": {"service_prices": {"api_realtime": 0.04}}})
        else:
            self._send(200, {"data": {"credits": {"balance": 10}, "token": auth}})

    def do_POST(self) -> None:
        auth = self.headers.get("Authorization", "")
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._send(self.status_for_count, {"detail": f"filter refused for {auth}", "key": auth})

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(params=[(200, 400), (200, 401)], ids=["row-400-echo", "401-echo"])
def echo_server(request: pytest.FixtureRequest) -> Iterator[str]:
    account, count = request.param
    handler = type("Echo", (_Echo,), {"status_for_account": account, "status_for_count": count})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# --- the key never leaks ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "via", "output"),
    [
        (HEX_KEY, "env", "out.xlsx"),
        (TEST_KEY, "option", "out.csv"),
        ("Token " + HEX_KEY, "env", "out.xlsx"),
        ("Token " + TEST_KEY, "option", "out.xlsx"),
    ],
)
def test_key_absent_after_a_good_run(
    tmp_path: Path, sandbox: SandboxServer, key: str, via: str, output: str
) -> None:
    src = segments_xlsx(tmp_path / "in.xlsx")
    args = ["run", str(src), "--yes", "-o", str(tmp_path / output)]
    if via == "option":
        done = cli(*args, "--api-key", key, base_url=sandbox.url)
    else:
        done = cli(*args, base_url=sandbox.url, key=key)
    assert done.code == 0, done.text
    assert sandbox.stats.snapshot()["ok_answers"] == 3
    assert (tmp_path / output).exists()
    assert_no_leak(key.split()[-1], tmp_path, done, "in.xlsx")


@pytest.mark.parametrize("key", ["f00dbabe" * 4, "Token test_rejected0123456789"])
def test_key_absent_when_rejected(tmp_path: Path, sandbox: SandboxServer, key: str) -> None:
    src = segments_xlsx(tmp_path / "in.xlsx")
    done = cli("run", str(src), "--yes", base_url=sandbox.url, key=key)
    assert done.code == 3, done.text
    assert "rejected" in done.text
    assert_no_leak(key.split()[-1], tmp_path, done, "in.xlsx")


def test_key_absent_when_the_network_is_down(tmp_path: Path) -> None:
    src = segments_xlsx(tmp_path / "in.xlsx", rows=2)
    closed = f"http://127.0.0.1:{free_port()}"
    done = cli(
        "run", str(src), "--yes", "--max-retries", "0", "--timeout", "2",
        "--api-key", HEX_KEY, base_url=closed,
    )  # fmt: skip
    assert done.code == 3, done.text  # unreachable before any count: stopped, nothing sent
    assert "cannot reach" in done.text and "could not connect" in done.text
    assert_no_leak(HEX_KEY, tmp_path, done, "in.xlsx")


def test_key_absent_when_the_server_echoes_it_back(tmp_path: Path, echo_server: str) -> None:
    """A broken proxy or API quoting the Authorization header: its words reach messages and
    the workbook, so the key must be scrubbed from them too."""
    src = segments_xlsx(tmp_path / "in.xlsx", rows=2)
    done = cli("run", str(src), "--yes", "--max-retries", "0", base_url=echo_server, key=HEX_KEY)
    assert done.code in (1, 3), done.text  # 400: rows failed; 401: the run stops
    assert (tmp_path / "in.counted.xlsx").exists()
    messages = [str(r[-2].value) for r in load_workbook(tmp_path / "in.counted.xlsx")["Results"]]
    assert any("***" in m for m in messages[1:]), messages  # the echo was there, and was cut
    assert_no_leak(HEX_KEY, tmp_path, done, "in.xlsx")


def test_key_absent_when_plain_http_is_refused(tmp_path: Path) -> None:
    src = segments_xlsx(tmp_path / "in.xlsx")
    done = cli("run", str(src), "--yes", "--api-key", TEST_KEY, base_url="http://example.invalid")
    assert done.code == 2
    assert_no_leak(TEST_KEY, tmp_path, done, "in.xlsx")


def test_key_absent_after_ctrl_c(tmp_path: Path) -> None:
    src = segments_xlsx(tmp_path / "in.xlsx", rows=6)
    config = SandboxConfig(valid_keys=frozenset({HEX_KEY}), latency=1.5)
    with start_sandbox(config) as server:
        child = subprocess.Popen(
            [sys.executable, "-m", "batchcount", "run", str(src), "--yes", "--concurrency", "2"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_env(server.url, HEX_KEY),
        )
        deadline = time.monotonic() + 20
        while server.stats.snapshot()["in_flight"] < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        # the count store and its WAL exist now: scan them while the process is live, too
        live = written(tmp_path) | written(store_folder())
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
    done = Done(child.returncode, out, err)
    assert done.code == 130, done.text
    assert any(name.endswith("-wal") for name in live), sorted(live)
    assert leaks(HEX_KEY, live) == []
    assert_no_leak(HEX_KEY, tmp_path, done, "in.xlsx")


def test_key_absent_from_an_unexpected_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bug inside batchcount: a short message, no traceback, the key redacted."""

    def broken(options: object, ui: object) -> int:
        raise RuntimeError(f"boom: header was 'Authorization: Token {HEX_KEY}'")

    monkeypatch.setattr(batchcount.api.job, "run_job", broken)
    monkeypatch.delenv("GENERECT_API_KEY", raising=False)
    src = segments_xlsx(tmp_path / "in.xlsx")
    with pytest.raises(SystemExit) as stop:
        main(["run", str(src), "--yes", "--api-key", f"Token {HEX_KEY}"])
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert stop.value.code == 1
    assert "unexpected problem (RuntimeError: boom: header was 'Authorization: ***'" in text
    assert HEX_KEY not in text and "Traceback" not in text
    assert len(text.splitlines()) == 1


def test_key_from_env_redacted_from_an_unexpected_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(options: object, ui: object) -> int:
        raise ValueError(f"no route for {TEST_KEY}")

    monkeypatch.setattr(batchcount.api.job, "run_job", broken)
    monkeypatch.setenv("GENERECT_API_KEY", TEST_KEY)
    src = segments_xlsx(tmp_path / "in.xlsx")
    with pytest.raises(SystemExit) as stop:
        main(["run", str(src), "--yes"])
    text = "".join(capsys.readouterr())
    assert stop.value.code == 1
    assert "ValueError: no route for ***" in text
    assert TEST_KEY not in text and "Traceback" not in text


# --- plain http is refused before the key goes anywhere ---------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://example.invalid",
        "HTTP://api.generect.com",
        "http://127.0.0.1@evil.example/",  # userinfo trick: the host is evil.example
        "http://localhost.evil.example",
        "http://127.0.0.1.nip.io",
        "http://10.0.0.1:8080",
        "http://[2001:db8::1]/",
    ],
)
def test_plain_http_off_loopback_is_refused(url: str) -> None:
    with pytest.raises(UsageError, match="clear text"):
        check_base_url(url)


@pytest.mark.parametrize("url", ["ftp://api.generect.com", "api.generect.com", "http://"])
def test_non_http_urls_are_refused(url: str) -> None:
    with pytest.raises(UsageError, match="is not an http"):
        check_base_url(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9"])
def test_plain_http_on_loopback_is_allowed(url: str) -> None:
    assert check_base_url(url) == url


def _non_loopback_address() -> str | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # no packet is sent for UDP connect
            address = str(probe.getsockname()[0])
    except OSError:
        return None
    return None if address.startswith("127.") else address


def test_plain_http_refused_fast_and_no_connection_is_made(tmp_path: Path) -> None:
    """A listener on this machine's own non-loopback address: reachable, but must never be
    contacted. Falls back to an unresolvable name if there is no such address."""
    src = segments_xlsx(tmp_path / "in.xlsx")
    address = _non_loopback_address()
    listener = socket.socket()
    accepted: list[object] = []
    url = "http://example.invalid"
    if address is not None:
        listener.bind((address, 0))
        listener.listen()
        listener.settimeout(0.2)
        url = f"http://{address}:{listener.getsockname()[1]}"
    started = time.monotonic()
    try:
        done = cli("run", str(src), "--yes", base_url=url, key=HEX_KEY)
        if address is not None:
            with contextlib.suppress(TimeoutError):
                accepted.append(listener.accept())
    finally:
        listener.close()
    assert time.monotonic() - started < 5
    assert done.code == 2
    assert "uses plain http:// to a non-local host" in done.text and "use https://" in done.text
    assert accepted == []
    assert sorted(written(tmp_path)) == ["in.xlsx"]  # no journal, no workbook
    assert_no_leak(HEX_KEY, tmp_path, done, "in.xlsx")


# --- formula-like input stays text ------------------------------------------------------------

HOSTILE = [
    "=1+1",
    '=HYPERLINK("http://evil.example","click")',
    "+SUM(A1:A9)",
    "-2+3",
    "@cmd",
    "\t=tabbed",
    "\r=carriage",
    "=cmd|' /C calc'!A0",
    "#N/A",
]
NUMBERS = ["-5", "+7", "3.5", "-0.25", "1e3"]


def hostile_csv(path: Path) -> Path:
    """Formula-like text in a pass-through column, a header, and a job title that is sent."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*HEADER, "=Notes"])
        for i, text in enumerate(HOSTILE + NUMBERS):
            writer.writerow([f"Seg {i}", f"Title {i}", "vp", "France", text])
        writer.writerow(["Seg x", "=2*3", "vp", "France", "title is formula-like"])
    return path


@pytest.fixture(scope="module")
def formula_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("formulas")
    src = hostile_csv(folder / "=HYPERLINK(1).csv")  # the file name reaches the Summary
    out = {"xlsx": folder / "out.xlsx", "csv": folder / "out.csv"}
    with start_sandbox(SandboxConfig(valid_keys=frozenset({TEST_KEY}))) as server:
        for name, path in out.items():
            store = str(folder / f"{name}.sqlite")  # each output pays for its own counts
            done = cli(
                "run",
                str(src),
                "--yes",
                "-o",
                str(path),
                "--store",
                store,
                base_url=server.url,
                key=TEST_KEY,
            )
            assert done.code == 0, done.text
    return out


def test_xlsx_output_has_no_formula_anywhere(formula_outputs: dict[str, Path]) -> None:
    with zipfile.ZipFile(formula_outputs["xlsx"]) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == 2
        for name in sheets:
            xml = archive.read(name)
            assert b"<f>" not in xml and b"<f " not in xml, name
            assert b't="e"' not in xml, name  # "#N/A" text is not an error cell either


def test_xlsx_keeps_formula_like_text_as_text_and_numbers_as_numbers(
    formula_outputs: dict[str, Path],
) -> None:
    wb = load_workbook(formula_outputs["xlsx"])  # full mode: data_type is the stored type
    ws = wb["Results"]
    header = [c.value for c in ws[1]]
    assert header[4] == "=Notes" and ws.cell(1, 5).data_type == "s"
    notes = header.index("=Notes") + 1
    count, money = header.index("results_count") + 1, header.index("amount_charged") + 1
    for row, text in enumerate(HOSTILE + NUMBERS, start=2):
        cell = ws.cell(row, notes)
        assert cell.data_type == "s" and cell.value == text, (row, text)
        assert ws.cell(row, count).data_type == "n" and isinstance(ws.cell(row, count).value, int)
        assert ws.cell(row, money).data_type == "n" and ws.cell(row, money).value == 0.04
    last = ws.max_row
    assert ws.cell(last, 2).value == "=2*3" and ws.cell(last, 2).data_type == "s"
    request = json.loads(str(ws.cell(last, header.index("request") + 1).value))
    assert request["job_titles"] == ["=2*3"]  # sent as the text it is
    summary = [c for row in wb["Summary"].iter_rows() for c in row if c.value is not None]
    named = [c for c in summary if isinstance(c.value, str) and "=HYPERLINK(1)" in c.value]
    assert named and all(c.data_type == "s" for c in named)


def test_csv_escapes_formula_like_text_and_leaves_numbers(
    formula_outputs: dict[str, Path],
) -> None:
    with formula_outputs["csv"].open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    assert header[4] == "'=Notes"
    notes = 4
    count, money = header.index("results_count"), header.index("amount_charged")
    for row, text in zip(rows[1:], HOSTILE + NUMBERS, strict=False):
        if text in NUMBERS:
            assert row[notes] == text  # real numbers are not prefixed
        elif text.startswith(("=", "+", "-", "@", "\t", "\r")):
            assert row[notes] == "'" + text
        else:
            assert row[notes] == text  # "#N/A" is not a formula in a CSV
        assert row[count].isdigit() and row[money] == "0.04"
    assert rows[-1][1] == "'=2*3"
    for row in rows[1:]:  # nothing else starts a formula either (message, request, status)
        for cell in row[notes + 1 :]:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")) or cell.startswith("'")
