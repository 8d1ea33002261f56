"""Issue 9, item 5: the key is checked first and never leaks.

- A blank key, or one with whitespace, a line break, zero-width or other non-printable or
  non-ASCII characters, is a usage error (exit 2) before the input is read and before any
  request: never a row "possibly billed". The message says what and where (position), and
  how to fix it, never the key.
- Redaction comes before any truncation: a key cut in two by a length limit elsewhere (a
  server's error detail, an exception message) leaves no telling piece of itself.
- Click's own usage errors are scrubbed too (the key typed in the wrong place).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from test_security import HEX_KEY, TEST_KEY, assert_no_leak, cli, leaks, segments_xlsx, written

import batchcount.api.job
from batchcount.api.keycheck import check_key
from batchcount.cli import main
from batchcount.errors import UsageError
from batchcount.net.api_errors import error_detail
from batchcount.redaction import mask, shorten
from batchcount.sandbox.server import SandboxConfig, SandboxServer, start_sandbox

# (key, what the message must name, the position it must give)
BAD_KEYS = [
    ("   ", "blank", None),
    ("\t", "blank", None),
    (f"{TEST_KEY}\n", "line break", len(TEST_KEY) + 1),
    (f"{TEST_KEY}\r\n", "carriage return", len(TEST_KEY) + 1),
    (f"{HEX_KEY[:11]}\u200b{HEX_KEY[11:]}", "zero-width space (U+200B)", 12),
    (f"\ufeff{HEX_KEY}", "byte-order mark", 1),
    (f"{HEX_KEY[:5]}\u00a0{HEX_KEY[5:]}", "non-breaking space", 6),
    (f" {HEX_KEY}", "a space", 1),
    (f"{HEX_KEY} ", "a space", 33),
    (f"{HEX_KEY[:16]} {HEX_KEY[16:]}", "a space", 17),
    (f"{HEX_KEY[:3]}\x00{HEX_KEY[3:]}", "control character (U+0000)", 4),
    (f"{HEX_KEY[:3]}\x1b{HEX_KEY[3:]}", "control character (U+001B)", 4),
    (f"{TEST_KEY[:8]}é{TEST_KEY[8:]}", "U+00E9", 9),
    (f"{HEX_KEY}\u2019", "U+2019", 33),
    (f"Token {HEX_KEY}\u200d", "zero-width joiner", 39),
    (f'"{HEX_KEY}"', "quotes", None),
    ("Token ", "only the word 'Token'", None),
]


@pytest.mark.parametrize(("key", "named", "position"), BAD_KEYS)
def test_bad_keys_are_usage_errors_naming_the_problem_not_the_key(
    key: str, named: str, position: int | None
) -> None:
    with pytest.raises(UsageError) as refused:
        check_key(key, "GENERECT_API_KEY")
    message = refused.value.message
    assert refused.value.exit_code == 2
    assert named in message
    if position is not None:
        assert f"position {position} " in message or f"positions {position}," in message
    assert mask(message, [HEX_KEY, TEST_KEY]) == message  # no telling piece of a key in it
    assert "copy" in message or "set it" in message.lower() or "remove" in message


@pytest.mark.parametrize("key", [HEX_KEY, TEST_KEY, f"Token {HEX_KEY}", f"Bearer {TEST_KEY}"])
def test_good_keys_pass_unchanged(key: str) -> None:
    assert check_key(key) == key


def test_no_key_at_all_says_where_to_put_one() -> None:
    for missing in (None, ""):
        with pytest.raises(UsageError, match="GENERECT_API_KEY or pass --api-key"):
            check_key(missing)


# --- the real command: exit 2 before the input is read, nothing sent -------------------------


@pytest.fixture(scope="module")
def server() -> SandboxServer:
    with start_sandbox(SandboxConfig()) as srv:
        yield srv


@pytest.mark.parametrize(
    ("key", "via"),
    [
        (f"{HEX_KEY[:11]}\u200b{HEX_KEY[11:]}", "env"),
        (f"{TEST_KEY}\r", "env"),
        (f"{TEST_KEY}\n", "option"),
        ("   ", "env"),
        (f"test_{'a' * 10}\u00a0", "option"),
        (f"{HEX_KEY[:20]}\x7f{HEX_KEY[20:]}", "option"),
    ],
)
def test_bad_key_stops_the_run_before_reading_or_sending(
    tmp_path: Path, server: SandboxServer, key: str, via: str
) -> None:
    before = server.stats.snapshot()["requests"]
    src = segments_xlsx(tmp_path / "in.xlsx")
    missing = tmp_path / "not-there.xlsx"
    for path in (src, missing):  # a missing input is not even looked at: the key comes first
        args = ["run", str(path), "--yes"]
        done = (
            cli(*args, "--api-key", key, base_url=server.url)
            if via == "option"
            else cli(*args, base_url=server.url, key=key)
        )
        assert done.code == 2, done.text
        assert "API key" in done.text
        assert "Nothing was read or sent" in done.text or "is blank" in done.text
        assert ("--api-key" if via == "option" else "GENERECT_API_KEY") in done.text
        assert "not-there" not in done.text and "possibly billed" not in done.text
        assert len(done.text.strip().splitlines()) == 1, done.text  # one clear line
        if key.strip():
            assert_no_leak(key.strip(), tmp_path, done, "in.xlsx")
    assert sorted(written(tmp_path)) == ["in.xlsx"]  # no journal, no workbook, no lock
    assert server.stats.snapshot()["requests"] == before  # not even the free account lookups


def test_sandbox_ignores_a_bad_key_in_the_environment(tmp_path: Path) -> None:
    src = segments_xlsx(tmp_path / "in.xlsx")
    done = cli("run", str(src), "--yes", "--sandbox", key=f"{HEX_KEY}\u200b")
    assert done.code == 0, done.text


# --- redaction before truncation --------------------------------------------------------------


def test_mask_catches_the_start_the_end_and_the_middle_of_a_cut_key() -> None:
    secrets = [f"Token {HEX_KEY}", HEX_KEY]
    assert mask(f"Authorization: Token {HEX_KEY[:10]}", secrets) == "Authorization: ***"
    assert mask(f"...{HEX_KEY[-9:]} was refused", secrets) == "...*** was refused"
    assert mask(f"[{HEX_KEY[6:24]}]", secrets) == "[***]"
    # ordinary words that share a few letters with a key are left alone
    key = "test_rejected0123456789"
    assert mask("the key was rejected in test_key_absent_when_rejected", [key]) == (
        "the key was rejected in test_key_absent_when_rejected"
    )


@pytest.mark.parametrize("cut", [290, 296, 299, 300, 305])
def test_shorten_redacts_before_cutting(cut: int) -> None:
    text = "x" * (cut - 6) + f"Token {HEX_KEY} and more"
    short = shorten(text, 300, [f"Token {HEX_KEY}", HEX_KEY])
    assert len(short) <= 300
    assert leaks(HEX_KEY[:6], {"t": short.encode()}) == []
    assert mask(short, [HEX_KEY]) == short


def _echoing_response(detail: object, auth: str) -> httpx.Response:
    request = httpx.Request("POST", "http://127.0.0.1/x", headers={"Authorization": auth})
    return httpx.Response(400, json=detail, request=request)


@pytest.mark.parametrize("pad", [250, 280, 290, 295, 299])
def test_server_error_detail_cut_across_the_key_leaves_no_piece(pad: int) -> None:
    """The server quotes the header back, and the key sits across the 300-character cut."""
    auth = f"Token {HEX_KEY}"
    for body in ({"error": "y" * pad + auth}, {"detail": "z" * (pad + 1700) + auth}):
        detail = error_detail(_echoing_response(body, auth))
        assert HEX_KEY[:8] not in detail and mask(detail, [HEX_KEY]) == detail, detail
    text = httpx.Response(
        502,
        text="<html>" + "h" * pad + auth,
        request=httpx.Request("POST", "http://127.0.0.1/x", headers={"Authorization": auth}),
    )
    assert HEX_KEY[:8] not in error_detail(text)


def test_huge_error_page_is_cut_fast_and_clean() -> None:
    auth = f"Token {HEX_KEY}"
    detail = error_detail(_echoing_response({"error": (auth + " ") * 200_000}, auth))
    assert len(detail) <= 300 and HEX_KEY[:8] not in detail


def test_unexpected_error_with_a_key_already_cut_short(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A lower layer cut its message mid-key before it reached the CLI: the piece is masked."""

    def broken(options: object, ui: object) -> int:
        raise RuntimeError("header: Token " + HEX_KEY[:14] + " ... and " + HEX_KEY[-12:])

    monkeypatch.setattr(batchcount.api.job, "run_job", broken)
    monkeypatch.setenv("GENERECT_API_KEY", HEX_KEY)
    src = segments_xlsx(tmp_path / "in.xlsx")
    with pytest.raises(SystemExit) as stop:
        main(["run", str(src), "--yes"])
    text = "".join(capsys.readouterr())
    assert stop.value.code == 1
    assert "header: Token *** ... and ***" in text
    assert HEX_KEY[:8] not in text and HEX_KEY[-8:] not in text


@pytest.mark.parametrize(
    "args",
    [
        ["run", "IN", HEX_KEY],  # the key where the output was meant to go
        ["run", "IN", "--concurrency", TEST_KEY],
        ["run", "IN", "--api-key", HEX_KEY, "--no-such-option"],
        ["run", "IN", "--timeout", f"Token {HEX_KEY}"],
    ],
)
def test_click_usage_errors_never_show_the_key(tmp_path: Path, args: list[str]) -> None:
    src = segments_xlsx(tmp_path / "in.xlsx")
    argv = [str(src) if a == "IN" else a for a in args]
    done = subprocess.run(
        [sys.executable, "-m", "batchcount", *argv],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if not k.startswith("GENERECT_")},
        timeout=60,
    )
    text = (done.stdout + done.stderr).decode()
    assert done.returncode == 2, text
    assert "Usage:" in text or "Error" in text
    assert HEX_KEY not in text and TEST_KEY not in text and json.dumps(HEX_KEY) not in text
    assert "Traceback" not in text


# --- answers that quote the key in odd places --------------------------------------------------


class _Echo200(BaseHTTPRequestHandler):
    """A broken API that answers 200 with the Authorization header where the numbers belong,
    and long error pages that quote it right across a 300-character cut."""

    def _send(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if "tiers" in self.path:
            self._send(200, {"current_tier": {"service_prices": {"api_realtime": 0.04}}})
        else:
            self._send(200, {"data": {"credits": {"balance": 10}}})

    def do_POST(self) -> None:
        auth = self.headers.get("Authorization", "")
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if b"Title 0" in body:  # 200, with the key instead of the numbers
            self._send(200, {"data": {"results_count": auth}, "meta": {"amount_charged": auth}})
        elif b"Title 1" in body:  # the key across the cut of a long error
            self._send(400, {"error": "e" * 290 + auth + " trailing"})
        else:
            self._send(400, {"detail": {"job_titles": [f"bad value for {auth[:20]}"]}})

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_key_quoted_in_answers_never_reaches_the_workbook_or_the_journal(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo200)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        src = segments_xlsx(tmp_path / "in.xlsx", rows=3)
        done = cli("run", str(src), "--yes", "--max-retries", "0", base_url=url, key=HEX_KEY)
    finally:
        server.shutdown()
        server.server_close()
    assert done.code in (1, 3), done.text
    assert (tmp_path / "in.counted.xlsx").exists()
    assert_no_leak(HEX_KEY, tmp_path, done, "in.xlsx")
    blobs = {k: v for k, v in written(tmp_path).items() if k != "in.xlsx"}
    for piece in (HEX_KEY[:8], HEX_KEY[-8:], HEX_KEY[:20]):  # no telling piece either
        assert leaks(piece, blobs | {"err": done.err}) == [], piece


def test_errors_built_anywhere_are_scrubbed_of_a_registered_key() -> None:
    from batchcount.errors import OutputFileError
    from batchcount.net.client import RowFailed
    from batchcount.redaction import register

    secret = "f00d" * 8
    register(secret)
    assert secret[:12] not in OutputFileError(f"cannot write {secret[:12]}").message
    assert secret not in RowFailed(f"raw value {secret!r}").message
    assert "***" in str(UsageError(f"Token {secret}"))
