"""Hostile and broken input, end to end: the real CLI in a subprocess against the sandbox.

Every file here is one that arrives in real life or that an attacker would make. For each:
the exit code and the message, no traceback, no request of any kind for anything refused
(not even the free balance lookup), and no partial output (workbook, journal, temp file) left
behind by a refusal; `check` agrees (exit 2 for unreadable files). Files that are partly
usable are run to the end: good rows are counted, bad ones are `invalid` with a message that
names the row. Files are generated in tmp_path; the zip bombs are built at test time.

The cases run concurrently (a module fixture) so the whole corpus takes a few seconds.
"""

from __future__ import annotations

import gzip
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl import load_workbook

from batchcount.cli import main
from batchcount.output.columns import RESULT_COLUMNS
from batchcount.sandbox.server import SandboxConfig, start_sandbox

KEY = "test_hostile_5e1f0c2a9b"
HEADER = "Job Titles,Seniorities,Locations,Notes"
GOOD = ["CTO;Head of IT", "vp;director", "United States", "ok row"]
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SHEET = "xl/worksheets/sheet1.xml"
MAX_LINE = 2_000  # no message line may balloon with the input (3,000 headers, 1 MB cells)


# --- running the CLI ------------------------------------------------------------------------


@dataclass(frozen=True)
class Ran:
    path: Path
    options: tuple[str, ...]
    code: int
    out: str
    err: str
    seconds: float
    peak_mb: float  # the child's peak resident memory
    requests: int  # every request the sandbox saw, free lookups included
    billable: int  # count requests
    before: frozenset[str]  # files in the input's folder before the run
    after: frozenset[str]

    @property
    def text(self) -> str:
        return self.out + self.err

    def output(self) -> Path:
        return self.path.with_name(self.path.stem + ".counted.xlsx")


def listing(folder: Path) -> frozenset[str]:
    return frozenset(str(p.relative_to(folder)) for p in folder.rglob("*"))


# A small parent for the CLI: a child's peak RSS (ru_maxrss) starts at its parent's at fork,
# so measuring from the big pytest process would report pytest's size, not the CLI's.
_LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as report:
    report.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_cli(path: Path, *options: str, measure: bool = False) -> Ran:
    """`batchcount run PATH --yes` in a subprocess against a sandbox of its own; `measure`
    records its peak memory (through the launcher: ~30 ms more)."""
    with (
        start_sandbox(SandboxConfig(valid_keys=frozenset({KEY}))) as server,
        tempfile.TemporaryDirectory() as scratch,
    ):
        env = {k: v for k, v in os.environ.items() if not k.startswith("GENERECT_")}
        env |= {"GENERECT_API_BASE": server.url, "GENERECT_API_KEY": KEY, "PYTHONUTF8": "1"}
        rss = Path(scratch) / "rss"
        command = [sys.executable, "-m", "batchcount", "run", str(path), "--yes", "-q", *options]
        before = listing(path.parent)
        started = time.monotonic()
        launcher = [sys.executable, "-c", _LAUNCHER, str(rss)] if measure else []
        done = subprocess.run(
            [*launcher, *command],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=env,
            timeout=60,
        )
        seconds = time.monotonic() - started
        snap = server.stats.snapshot()
        return Ran(
            path=path,
            options=options,
            code=done.returncode,
            out=done.stdout.decode("utf-8", "replace"),
            err=done.stderr.decode("utf-8", "replace"),
            seconds=seconds,
            peak_mb=int(rss.read_text()) / 1024 if measure else float("nan"),
            requests=int(snap["requests"]),
            billable=int(snap["count_requests"]),
            before=before,
            after=listing(path.parent),
        )


def run_all(
    cases: dict[str, Callable[[Path], tuple[Path, tuple[str, ...]]]], base: Path
) -> dict[str, Ran]:
    def one(name: str) -> Ran:
        folder = base / name
        folder.mkdir()
        path, options = cases[name](folder)
        return run_cli(path, *options, measure=name in BOMBS)

    with ThreadPoolExecutor(3) as pool:
        return dict(zip(cases, pool.map(one, cases), strict=True))


def check_in_process(
    path: Path, options: Sequence[str], capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    """`batchcount check` through `main` (in-process: cheap), returning (exit code, output)."""
    before = listing(path.parent)
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        main(["check", str(path), *options])
    captured = capsys.readouterr()
    assert listing(path.parent) == before, "check must not write anything"
    assert isinstance(stop.value.code, int)
    return stop.value.code, captured.out + captured.err


def assert_clean(text: str) -> None:
    assert "Traceback" not in text, text[-3000:]
    assert "unexpected problem" not in text, text[-3000:]
    longest = max((len(line) for line in text.splitlines()), default=0)
    assert longest <= MAX_LINE, f"a {longest}-character line: {text[:500]}"


def results(path: Path) -> list[list[object]]:
    """The Results sheet as rows of values, header first."""
    wb = load_workbook(path, read_only=True)
    rows = [list(r) for r in wb["Results"].iter_rows(values_only=True)]
    wb.close()
    return rows


def by_header(path: Path) -> list[dict[str, object]]:
    rows = results(path)
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


# --- building hostile files -----------------------------------------------------------------


def _csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _xlsx(path: Path, rows: Sequence[Sequence[object]], title: str = "Segments") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


def _good_xlsx(path: Path) -> Path:
    return _xlsx(path, [HEADER.split(","), GOOD])


def _rewrite(path: Path, member: str, change: Callable[[bytes], bytes]) -> Path:
    """Rewrite one member of a zip (keeps the others byte for byte)."""
    with zipfile.ZipFile(path) as source:
        parts = [(i, source.read(i.filename)) for i in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in parts:
            target.writestr(info, change(data) if info.filename == member else data)
    return path


def _patch_member(
    path: Path, member: str, *, size: int | None = None, flag: int = 0, method: int | None = None
) -> None:
    """Rewrite `member`'s local header and central directory entry: the uncompressed size it
    declares, extra general-purpose flag bits, the compression method."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    # signature, name length, flags, method, uncompressed size, name: offsets in each header
    for signature, name_len_at, flag_at, method_at, size_at, name_at in (
        (b"PK\x03\x04", 26, 6, 8, 22, 30),
        (b"PK\x01\x02", 28, 8, 10, 24, 46),
    ):
        at = data.find(signature)
        while at >= 0:
            length = struct.unpack_from("<H", data, at + name_len_at)[0]
            if data[at + name_at : at + name_at + length] == name:
                if size is not None:
                    struct.pack_into("<I", data, at + size_at, size)
                old = struct.unpack_from("<H", data, at + flag_at)[0]
                struct.pack_into("<H", data, at + flag_at, old | flag)
                if method is not None:
                    struct.pack_into("<H", data, at + method_at, method)
            at = data.find(signature, at + 4)
    path.write_bytes(bytes(data))


SHEET = "xl/worksheets/sheet1.xml"


def empty_file(d: Path) -> Path:
    return _csv(d / "empty.csv", "")


def blank_lines(d: Path) -> Path:
    return _csv(d / "blank.csv", "\r\n  \n,,,\n\n")


def header_only_csv(d: Path) -> Path:
    return _csv(d / "header.csv", HEADER + "\r\n")


def header_only_xlsx(d: Path) -> Path:
    return _xlsx(d / "header.xlsx", [HEADER.split(",")])


def png_as_csv(d: Path) -> Path:
    data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
    (d / "photo.csv").write_bytes(data)
    return d / "photo.csv"


def jpeg_as_csv(d: Path) -> Path:
    data = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + bytes(range(255, -1, -1)) * 8
    (d / "scan.csv").write_bytes(data)
    return d / "scan.csv"


def gzip_as_csv(d: Path) -> Path:
    (d / "export.csv").write_bytes(gzip.compress((HEADER + "\n" + ",".join(GOOD)).encode()))
    return d / "export.csv"


def pdf_as_xlsx(d: Path) -> Path:
    (d / "report.xlsx").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n" * 20)
    return d / "report.xlsx"


def random_bytes_csv(d: Path) -> Path:
    (d / "noise.csv").write_bytes(bytes((i * 131 + 7) % 256 for i in range(6000)))
    return d / "noise.csv"


def truncated_xlsx(d: Path) -> Path:
    path = _good_xlsx(d / "cut.xlsx")
    path.write_bytes(path.read_bytes()[: path.stat().st_size * 2 // 3])
    return path


def zip_header_only(d: Path) -> Path:
    (d / "stub.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    return d / "stub.xlsx"


def corrupt_sheet_xml(d: Path) -> Path:
    return _rewrite(_good_xlsx(d / "corrupt.xlsx"), SHEET, lambda _: b"<worksheet><sheetData><row")


def corrupt_workbook_xml(d: Path) -> Path:
    return _rewrite(_good_xlsx(d / "nobook.xlsx"), "xl/workbook.xml", lambda _: b"\x00\x01garbage")


def flipped_bytes_xlsx(d: Path) -> Path:
    """Bit rot in the middle of the compressed sheet: CRC and inflate errors."""
    path = _good_xlsx(d / "rot.xlsx")
    data = bytearray(path.read_bytes())
    at = data.find(SHEET.encode()) + len(SHEET) + 10
    for i in range(at, at + 60):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    return path


def zip_not_workbook(d: Path) -> Path:
    with zipfile.ZipFile(d / "photos.xlsx", "w") as z:
        z.writestr("IMG_0001.txt", "not a sheet")
        z.writestr("notes/readme.md", "# hello")
    return d / "photos.xlsx"


def plain_zip(d: Path) -> Path:
    with zipfile.ZipFile(d / "segments.zip", "w") as z:
        z.writestr("segments.csv", HEADER + "\n" + ",".join(GOOD))
    return d / "segments.zip"


def docx_as_xlsx(d: Path) -> Path:
    with zipfile.ZipFile(d / "memo.xlsx", "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return d / "memo.xlsx"


def all_sheets_empty(d: Path) -> Path:
    wb = openpyxl.Workbook()
    wb.active.title = "One"
    wb.create_sheet("Two")
    wb.create_sheet("Three")["C5"] = "   "
    wb.save(d / "blank.xlsx")
    return d / "blank.xlsx"


def encrypted_ole(d: Path) -> Path:
    """What Excel writes for a password-protected workbook: an OLE2 file with the package."""
    data = OLE_MAGIC + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 1536
    (d / "locked.xlsx").write_bytes(data)
    return d / "locked.xlsx"


def bare_ole_as_xlsx(d: Path) -> Path:
    """Only the OLE2 header bytes + padding, named .xlsx (encrypted or an old .xls renamed)."""
    (d / "old.xlsx").write_bytes(OLE_MAGIC + b"\x00" * 4088)
    return d / "old.xlsx"


def damaged_xls(d: Path) -> Path:
    (d / "old.xls").write_bytes(OLE_MAGIC + b"\xff" * 4088)
    return d / "old.xls"


def html_as_xls(d: Path) -> Path:
    return _csv(d / "crm.xls", "<html><body><table><tr><td>Job Titles</td></tr></table></html>")


def zip_bomb_real(d: Path) -> Path:
    """An honest bomb: a sheet part of 1.2 GB of zeros (about 5 MB compressed)."""
    path = d / "bomb.xlsx"
    chunk = b"\x00" * (16 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", "<Types>spreadsheetml</Types>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open(SHEET, "w", force_zip64=True) as member:
            for _ in range(72):  # 72 x 16 MiB = 1.125 GiB
                member.write(chunk)
    return path


def zip_bomb_declared(d: Path) -> Path:
    """A tiny workbook whose central directory declares a 3.5 GB sheet."""
    path = _good_xlsx(d / "declared.xlsx")
    _patch_member(path, SHEET, size=0xD000_0000)
    return path


def zip_bomb_lying(d: Path) -> Path:
    """The sneaky bomb: declares 2 KB, inflates to 64 MB (one giant job title)."""
    path = _good_xlsx(d / "liar.xlsx")
    giant = b"A" * (64 << 20)

    def inflate(xml: bytes) -> bytes:
        return xml.replace(b"<t>CTO;Head of IT</t>", b"<t>" + giant + b"</t>")

    _rewrite(path, SHEET, inflate)
    _patch_member(path, SHEET, size=2048)
    return path


def billion_laughs(d: Path) -> Path:
    """Entity expansion in workbook.xml (read by our own XML parser too)."""
    laughs = '<!DOCTYPE w [<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    laughs += "]>"

    def change(xml: bytes) -> bytes:
        text = xml.decode()
        text = text.replace("?>", "?>" + laughs, 1) if "?>" in text else laughs + text
        return text.replace('name="Segments"', 'name="&a9;"').encode()

    return _rewrite(_good_xlsx(d / "laughs.xlsx"), "xl/workbook.xml", change)


def external_entity(d: Path) -> Path:
    """XXE: a sheet name that would pull in /etc/passwd if entities were resolved."""

    def change(xml: bytes) -> bytes:
        text = xml.decode()
        doctype = '<!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        text = text.replace("?>", "?>" + doctype, 1) if "?>" in text else doctype + text
        return text.replace('name="Segments"', 'name="&x;"').encode()

    return _rewrite(_good_xlsx(d / "xxe.xlsx"), "xl/workbook.xml", change)


def unclosed_quote(d: Path) -> Path:
    return _csv(d / "quote.csv", HEADER + '\n"CTO,vp,France,x\nCEO,vp,Spain,y\n')


def only_binary_controls(d: Path) -> Path:
    return _csv(d / "ctrl.csv", "a,b\n" + "\x01\x02\x03\x04\x05\x06\x07\x08" * 50)


def mostly_nul(d: Path) -> Path:
    (d / "nul.csv").write_bytes(b"Job Titles\n" + b"\x00" * 6000)
    return d / "nul.csv"


def folder_input(d: Path) -> Path:
    (d / "exports.csv").mkdir()
    return d / "exports.csv"


def missing_input(d: Path) -> Path:
    return d / "segmnets.csv"


def no_mappable_column(d: Path) -> Path:
    return _csv(d / "nomap.csv", "Name,Owner,Comment\nA,B,C\n")


def many_columns_none_mapped(d: Path) -> Path:
    header = ",".join(f"Column {i}" for i in range(3000))
    return _csv(d / "wide-unmapped.csv", header + "\n" + ",".join("x" * 3000) + "\n")


def duplicate_mapped_headers(d: Path) -> Path:
    return _csv(d / "dups.csv", "Job Titles,Locations,Job Titles\nCTO,France,CEO\n")


def two_aliases_one_field(d: Path) -> Path:
    return _csv(d / "aliases.csv", "Title,Job Titles,Country\nCTO,CEO,France\n")


def nul_ref_xlsx(d: Path) -> Path:
    """A NUL as an XML character reference: illegal in XML 1.0."""

    def change(xml: bytes) -> bytes:
        return xml.replace(b"<t>CTO;Head of IT</t>", b"<t>C&#0;TO;Head&#1; of IT</t>")

    return _rewrite(_good_xlsx(d / "nulref.xlsx"), SHEET, change)


def encrypted_zip_member(d: Path) -> Path:
    """Zip-level encryption (flag bit 0) on the sheet: not how Excel protects, but it exists."""
    path = _good_xlsx(d / "zipcrypto.xlsx")
    _patch_member(path, SHEET, flag=0x1)
    return path


def unknown_compression(d: Path) -> Path:
    path = _good_xlsx(d / "deflate64.xlsx")
    _patch_member(path, SHEET, method=9)  # Deflate64: neither Python nor calamine read it
    return path


def good_csv(d: Path) -> Path:
    _mapping_files(d)
    return _csv(d / "good.csv", HEADER + "\n" + ",".join(GOOD) + "\n")


def good_xlsx(d: Path) -> Path:
    return _good_xlsx(d / "good.xlsx")


def _mapping_files(d: Path) -> None:
    (d / "bad.json").write_text('{"columns": {"Job Titles": "job_titles",}')
    (d / "bad.toml").write_text("[columns\nJob Titles = job_titles\n")
    (d / "shape.json").write_text(json.dumps({"colums": {"Job Titles": "job_titles"}}))
    (d / "field.json").write_text(json.dumps({"columns": {"Job Titles": "job_title"}}))
    (d / "photo.json").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (d / "sep.json").write_text(json.dumps({"separator": 7}))


@dataclass(frozen=True)
class Refused:
    """A file (or option) that must be refused with exit 2 before anything is sent."""

    build: Callable[[Path], Path]
    says: tuple[str, ...]
    options: tuple[str, ...] = ()  # "{dir}" stands for the case's folder


BOMBS = {"zip-bomb-real", "zip-bomb-declared", "zip-bomb-lying", "billion-laughs"}

REFUSED: dict[str, Refused] = {
    "empty": Refused(empty_file, ("empty.csv is empty (0 bytes)",)),
    "blank-lines": Refused(blank_lines, ("blank.csv has no data (only blank lines)",)),
    "png-as-csv": Refused(png_as_csv, ("photo.csv does not look like", "a PNG image")),
    "jpeg-as-csv": Refused(jpeg_as_csv, ("scan.csv does not look like", "a JPEG image")),
    "gzip-as-csv": Refused(gzip_as_csv, ("export.csv does not look like", "a gzip archive")),
    "pdf-as-xlsx": Refused(pdf_as_xlsx, ("report.xlsx is not an Excel workbook", "a PDF")),
    "random-bytes": Refused(random_bytes_csv, ("noise.csv does not look like a text",)),
    "control-chars": Refused(only_binary_controls, ("ctrl.csv does not look like a text",)),
    "mostly-nul": Refused(mostly_nul, ("nul.csv does not look like a text",)),
    "truncated-xlsx": Refused(truncated_xlsx, ("cut.xlsx is damaged", "fresh copy")),
    "zip-header-only": Refused(zip_header_only, ("stub.xlsx is damaged",)),
    "corrupt-sheet-xml": Refused(
        corrupt_sheet_xml, ("sheet 'Segments' of", "corrupt.xlsx could not be read")
    ),
    "corrupt-workbook-xml": Refused(
        corrupt_workbook_xml, ("nobook.xlsx could not be read as an Excel workbook",)
    ),
    "bit-rot": Refused(flipped_bytes_xlsx, ("rot.xlsx is damaged", "cannot be unpacked")),
    "zip-not-workbook": Refused(
        zip_not_workbook, ("photos.xlsx is a zip archive, not an Excel workbook",)
    ),
    "plain-zip": Refused(plain_zip, ("segments.zip is a zip archive, not an Excel workbook",)),
    "docx-as-xlsx": Refused(docx_as_xlsx, ("memo.xlsx is a Word document",)),
    "all-sheets-empty": Refused(
        all_sheets_empty, ("blank.xlsx has no data", "(One, Two, Three) are all empty")
    ),
    "encrypted-ole": Refused(
        encrypted_ole, ("locked.xlsx is password-protected", "remove the password")
    ),
    "bare-ole-as-xlsx": Refused(
        bare_ole_as_xlsx, ("old.xlsx is not a readable .xlsx file: it is encrypted or an old",)
    ),
    "damaged-xls": Refused(damaged_xls, ("old.xls could not be read as an Excel 97-2003",)),
    "html-as-xls": Refused(html_as_xls, ("crm.xls is a web page or XML document",)),
    "zip-bomb-real": Refused(zip_bomb_real, ("bomb.xlsx would unpack to 1.1 GB", "zip bomb")),
    "zip-bomb-declared": Refused(
        zip_bomb_declared, ("declared.xlsx would unpack to 3.3 GB", "zip bomb")
    ),
    "zip-bomb-lying": Refused(
        zip_bomb_lying, ("liar.xlsx is damaged or crafted", "more than the 2.0 KB", "zip bomb")
    ),
    "encrypted-zip-member": Refused(
        encrypted_zip_member, ("zipcrypto.xlsx cannot be read", "is encrypted")
    ),
    "unknown-compression": Refused(
        unknown_compression, ("deflate64.xlsx cannot be read", "unsupported compression")
    ),
    "billion-laughs": Refused(billion_laughs, ("laughs.xlsx could not be read", "entity")),
    "external-entity": Refused(external_entity, ("xxe.xlsx could not be read", "entity")),
    "nul-char-ref-xlsx": Refused(nul_ref_xlsx, ("nulref.xlsx could not be read", "0x0")),
    "unclosed-quote": Refused(unclosed_quote, ("a quote opened in row 2 is never closed",)),
    "folder": Refused(folder_input, ("exports.csv is a folder",)),
    "missing": Refused(missing_input, ("segmnets.csv does not exist",)),
    "no-mappable-column": Refused(
        no_mappable_column, ("no column maps to a Generect filter (headers: 'Name', 'Owner'",)
    ),
    "3000-columns-unmapped": Refused(
        many_columns_none_mapped,
        ("no column maps to a Generect filter", "'Column 19', ... (3000 columns in all)"),
    ),
    "duplicate-mapped-headers": Refused(
        duplicate_mapped_headers, ("both map to job_titles", "Rename the headers")
    ),
    "two-aliases-one-field": Refused(
        two_aliases_one_field, ("both map to job_titles", '--map "Job Titles="')
    ),
    # broken options
    "map-unknown-field": Refused(
        good_csv,
        ("--map 'Notes=job_title'", "not a Generect count field", "Did you mean 'job_titles'"),
        ("--map", "Notes=job_title"),
    ),
    "map-missing-header": Refused(
        good_csv, ("the sheet has no column 'Titel'", "'Job Titles'"), ("--map", "Titel=job_titles")
    ),
    "map-malformed": Refused(good_csv, ("expected HEADER=field",), ("--map", "job_titles")),
    "mapping-bad-json": Refused(good_csv, ("not valid JSON",), ("--mapping", "{dir}/bad.json")),
    "mapping-bad-toml": Refused(good_csv, ("not valid TOML",), ("--mapping", "{dir}/bad.toml")),
    "mapping-wrong-shape": Refused(
        good_csv, ("'colums' was unexpected", "Expected keys"), ("--mapping", "{dir}/shape.json")
    ),
    "mapping-wrong-type": Refused(good_csv, ("separator",), ("--mapping", "{dir}/sep.json")),
    "mapping-unknown-field": Refused(
        good_csv, ("not a Generect count field",), ("--mapping", "{dir}/field.json")
    ),
    "mapping-missing": Refused(good_csv, ("cannot read it",), ("--mapping", "{dir}/nope.json")),
    "mapping-binary": Refused(good_csv, ("not valid JSON",), ("--mapping", "{dir}/photo.json")),
    "unknown-sheet": Refused(
        good_xlsx, ("has no sheet named 'Leads'; its sheets are: Segments",), ("--sheet", "Leads")
    ),
    "sheet-number-out-of-range": Refused(good_xlsx, ("no sheet named '7'",), ("--sheet", "7")),
    "unknown-encoding": Refused(
        good_csv, ("unknown --encoding 'klingon'",), ("--encoding", "klingon")
    ),
    "wrong-encoding": Refused(good_csv, ("is not valid utf-16 text",), ("--encoding", "utf-16")),
}


def _refused_case(name: str) -> Callable[[Path], tuple[Path, tuple[str, ...]]]:
    case = REFUSED[name]

    def build(folder: Path) -> tuple[Path, tuple[str, ...]]:
        options = tuple(o.replace("{dir}", str(folder)) for o in case.options)
        return case.build(folder), options

    return build


@pytest.fixture(scope="module")
def refused(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Ran]:
    cases = {name: _refused_case(name) for name in REFUSED}
    return run_all(cases, tmp_path_factory.mktemp("refused"))


@pytest.mark.parametrize("name", list(REFUSED))
def test_run_refuses_before_sending_and_leaves_nothing(name: str, refused: dict[str, Ran]) -> None:
    ran = refused[name]
    assert ran.code == 2, ran.text
    assert ran.out == ""  # run prints nothing on stdout, let alone half a report
    for fragment in REFUSED[name].says:
        assert fragment in ran.err, f"{fragment!r} not in {ran.err!r}"
    assert ran.err.startswith("error: ") and ran.err.count("\n") == 1  # one line, no noise
    assert_clean(ran.text)
    assert ran.requests == 0 and ran.billable == 0  # not even the free balance lookup
    assert ran.after == ran.before  # no workbook, no journal, no temp file
    assert ran.seconds < 60  # a hang guard only: speed is measured in bench/, not here


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_bombs_are_refused_fast_without_inflating(name: str, refused: dict[str, Ran]) -> None:
    ran = refused[name]
    assert ran.code == 2
    # A hang guard only (speed is measured in bench/); memory is what shows no inflating.
    assert ran.seconds < 60, f"{name} took {ran.seconds:.1f} s"
    # Python + polars + calamine take ~80 MB; inflating any of these would take 64 MB to GBs.
    assert ran.peak_mb < 200, f"{name} peaked at {ran.peak_mb:.0f} MB"


def test_the_real_bomb_is_small_on_disk_and_huge_inflated(refused: dict[str, Ran]) -> None:
    path = refused["zip-bomb-real"].path
    assert path.stat().st_size < 8 << 20
    with zipfile.ZipFile(path) as archive:
        assert sum(i.file_size for i in archive.infolist()) > 1 << 30
    liar = refused["zip-bomb-lying"].path
    assert liar.stat().st_size < 1 << 20


@pytest.mark.parametrize("name", list(REFUSED))
def test_check_agrees(
    name: str, refused: dict[str, Ran], capsys: pytest.CaptureFixture[str]
) -> None:
    ran = refused[name]
    code, text = check_in_process(ran.path, ran.options, capsys)
    assert code == 2, text
    for fragment in REFUSED[name].says:
        assert fragment in text
    assert_clean(text)


# --- partly usable files ----------------------------------------------------------------------


def ragged_csv(d: Path) -> Path:
    lines = [
        HEADER,
        ",".join(GOOD),
        "CEO,vp,France,too,many,cells",  # row 3: extra cells with data
        "CFO,cxo",  # row 4: short: padded
        "COO,vp,Spain,x,,,",  # row 5: extra cells but empty: fine
    ]
    return _csv(d / "ragged.csv", "\n".join(lines) + "\n")


def nul_bytes_csv(d: Path) -> Path:
    text = (
        HEADER + "\n" + ",".join(GOOD) + "\nC\x00EO,vp,Fra\x00nce,nul inside\n\x00,\x00,\x00,\x00\n"
    )
    return _csv(d / "nul.csv", text)


def long_cells_csv(d: Path) -> Path:
    huge = "x" * (1 << 20)
    lines = [HEADER, ",".join([*GOOD[:3], huge]), ",".join(["CEO " + huge, "vp", "France", "n"])]
    return _csv(d / "long.csv", "\n".join(lines) + "\n")


def wide_csv(d: Path) -> Path:
    extra = [f"Extra {i}" for i in range(3000)]
    header = [*HEADER.split(","), *extra]
    row = [*GOOD, *(f"v{i}" for i in range(3000))]
    return _csv(d / "wide.csv", ",".join(header) + "\n" + ",".join(row) + "\n")


def wide_xlsx(d: Path) -> Path:
    header = [*HEADER.split(","), *(f"Extra {i}" for i in range(3000))]
    return _xlsx(d / "wide.xlsx", [header, [*GOOD, *(i for i in range(3000))]])


def mixed_line_endings(d: Path) -> Path:
    text = HEADER + "\r\n" + ",".join(GOOD) + "\nCEO,vp,France,b\rCFO,cxo,Spain,c\r\n"
    return _csv(d / "endings.csv", text)


def duplicate_blank_headers(d: Path) -> Path:
    text = "Job Titles,Notes,,Notes,Locations\nCTO,a,b,c,France\nCEO,,,,Spain\n"
    return _csv(d / "heads.csv", text)


def formulas_xlsx(d: Path) -> Path:
    path = _xlsx(
        d / "formulas.xlsx",
        [
            HEADER.split(","),
            ['=CONCAT("C","TO")', "vp", "France", "no cached value"],
            ["CEO", "vp", '="Spa"&"in"', "cached value"],
            ["CFO", "vp", "Germany", "=1/0"],
            ["=NA()", "vp", "Italy", "error in a sent column"],
        ],
    )

    def cache(xml: bytes) -> bytes:  # give C3 and D4 saved values, as Excel does
        text = xml.decode()
        text = text.replace('"Spa"&amp;"in"</f><v></v>', '"Spa"&amp;"in"</f><v>Spain</v>')
        text = text.replace(
            '<c r="C3"><f>"Spa"&amp;"in"</f><v></v></c>',
            '<c r="C3" t="str"><f>"Spa"&amp;"in"</f><v>Spain</v></c>',
        )
        for ref, formula, error in (("D4", "1/0", "#DIV/0!"), ("A5", "NA()", "#N/A")):
            text = text.replace(
                f'<c r="{ref}"><f>{formula}</f><v></v></c>',
                f'<c r="{ref}" t="e"><f>{formula}</f><v>{error}</v></c>',
            )
        return text.encode()

    return _rewrite(path, SHEET, cache)


def merged_xlsx(d: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER.split(","))
    ws.append(GOOD)
    ws.append(["", "cxo", "France", "merged title above"])
    ws.merge_cells("A2:A3")
    wb.save(d / "merged.xlsx")
    return d / "merged.xlsx"


def hidden_sheets_xlsx(d: Path) -> Path:
    wb = openpyxl.Workbook()
    hidden = wb.active
    hidden.title = "Lookup"
    hidden.append(["Job Titles", "Locations"])
    hidden.append(["SECRET", "Nowhere"])
    hidden.sheet_state = "hidden"
    visible = wb.create_sheet("Segments")
    visible.append(HEADER.split(","))
    visible.append(GOOD)
    very = wb.create_sheet("Macro")
    very.append(["Job Titles"])
    very.append(["VERYHIDDEN"])
    very.sheet_state = "veryHidden"
    wb.save(d / "hidden.xlsx")
    return d / "hidden.xlsx"


def typed_cells_xlsx(d: Path) -> Path:
    return _xlsx(
        d / "typed.xlsx",
        [
            [*HEADER.split(","), "Company Headcounts"],
            [12345, "vp", "France", datetime(2024, 3, 1), "51-200"],
            ["CTO", "vp", 3.5, True, datetime(2024, 1, 10)],  # "1-10" that Excel made a date
            ["CTO", "vp", "France", -5, 5000],
        ],
    )


def long_header_csv(d: Path) -> Path:
    header = HEADER.replace("Notes", "Read me: " + "a very long header " * 6000)
    return _csv(d / "longhead.csv", header + "\n" + ",".join(GOOD) + "\n")


@dataclass(frozen=True)
class Usable:
    build: Callable[[Path], Path]
    run_code: int
    check_code: int


USABLE: dict[str, Usable] = {
    "ragged": Usable(ragged_csv, 1, 1),
    "nul-bytes": Usable(nul_bytes_csv, 0, 0),
    "1mb-cells": Usable(long_cells_csv, 1, 0),  # the API refuses the 1 MB body (413)
    "3000-columns-csv": Usable(wide_csv, 0, 0),
    "3000-columns-xlsx": Usable(wide_xlsx, 0, 0),
    "100kb-header": Usable(long_header_csv, 0, 0),
    "mixed-line-endings": Usable(mixed_line_endings, 0, 0),
    "duplicate-blank-headers": Usable(duplicate_blank_headers, 0, 0),
    "header-only-csv": Usable(header_only_csv, 0, 0),
    "header-only-xlsx": Usable(header_only_xlsx, 0, 0),
    "formulas": Usable(formulas_xlsx, 1, 1),
    "merged-cells": Usable(merged_xlsx, 1, 1),
    "hidden-sheets": Usable(hidden_sheets_xlsx, 0, 0),
    "typed-cells": Usable(typed_cells_xlsx, 1, 1),
}


@pytest.fixture(scope="module")
def usable(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Ran]:
    cases = {name: _usable_case(case) for name, case in USABLE.items()}
    return run_all(cases, tmp_path_factory.mktemp("usable"))


def _usable_case(case: Usable) -> Callable[[Path], tuple[Path, tuple[str, ...]]]:
    return lambda folder: (case.build(folder), ())


@pytest.mark.parametrize("name", list(USABLE))
def test_usable_file_runs_to_the_end_and_check_agrees(
    name: str, usable: dict[str, Ran], capsys: pytest.CaptureFixture[str]
) -> None:
    ran = usable[name]
    assert ran.code == USABLE[name].run_code, ran.err
    assert_clean(ran.text)
    new = ran.after - ran.before
    stem = ran.path.stem + ".counted"
    assert f"{stem}.xlsx" in new
    assert new <= {f"{stem}.xlsx", *(f"{stem}.journal.sqlite{x}" for x in ("", "-wal", "-shm"))}
    code, text = check_in_process(ran.path, (), capsys)
    assert code == USABLE[name].check_code, text
    assert_clean(text)


def statuses(ran: Ran) -> list[object]:
    return [r["status"] for r in by_header(ran.output())]


def test_ragged_row_is_invalid_and_named_the_rest_counted(usable: dict[str, Ran]) -> None:
    ran = usable["ragged"]
    rows = by_header(ran.output())
    assert statuses(ran) == ["ok", "invalid", "ok", "ok"]
    assert "row 3 has 6 cells but the header has 4 (extra: 'many', 'cells')" in str(
        rows[1]["message"]
    )
    assert rows[1]["amount_charged"] is None and rows[1]["results_count"] is None
    assert ran.billable == 3
    assert "1 row has more cells than the header (row 3)" in ran.err


def test_nul_bytes_are_dropped_with_a_note_and_rows_counted(usable: dict[str, Ran]) -> None:
    ran = usable["nul-bytes"]
    rows = by_header(ran.output())
    assert "removed 6 NUL bytes (0x00)" in ran.err
    assert statuses(ran) == ["ok", "ok"]  # the all-NUL last line is blank: dropped
    assert json.loads(str(rows[1]["request"])) == {
        "job_titles": ["CEO"],
        "seniorities": ["vp"],
        "locations": ["France"],
    }
    assert ran.billable == 2


def test_one_megabyte_cells(usable: dict[str, Ran]) -> None:
    ran = usable["1mb-cells"]
    rows = by_header(ran.output())
    assert statuses(ran) == ["ok", "failed"]
    notes = str(rows[0]["Notes"])  # a pass-through cell: cut to Excel's limit, and says so
    assert len(notes) <= 32_767 and notes.endswith("…[truncated]")
    assert "(413)" in str(rows[1]["message"]) and rows[1]["amount_charged"] is None


@pytest.mark.parametrize("name", ["3000-columns-csv", "3000-columns-xlsx"])
def test_three_thousand_columns_pass_through(name: str, usable: dict[str, Ran]) -> None:
    ran = usable[name]
    header, row = results(ran.output())[:2]
    assert len(header) == 4 + 3000 + len(RESULT_COLUMNS)
    status = 3004 + RESULT_COLUMNS.index("status")
    assert header[3003] == "Extra 2999" and header[status] == "status"
    assert str(row[3003]).lstrip("v") == "2999" and row[status] == "ok"
    assert "Not sent (kept in the output): Notes, Extra 0," in ran.err
    assert "... (3001 columns in all)" in ran.err


def test_huge_header_is_shortened_in_messages_kept_in_output(usable: dict[str, Ran]) -> None:
    ran = usable["100kb-header"]
    header = results(ran.output())[0]
    kept = str(header[3])  # as much as an Excel cell holds (32,767), marked as cut
    assert kept.startswith("Read me: a very long header") and len(kept) == 32_767
    assert kept.endswith("…[truncated]")
    assert "Not sent (kept in the output): Read me: a very long header" in ran.err
    assert "… (column D)" in ran.err


def test_mixed_line_endings(usable: dict[str, Ran]) -> None:
    ran = usable["mixed-line-endings"]
    rows = by_header(ran.output())
    assert statuses(ran) == ["ok", "ok", "ok"]
    assert [r["Notes"] for r in rows] == ["ok row", "b", "c"]


def test_duplicate_and_blank_headers_kept_as_written(usable: dict[str, Ran]) -> None:
    ran = usable["duplicate-blank-headers"]
    header, first, second = results(ran.output())
    assert header[:5] == ["Job Titles", "Notes", None, "Notes", "Locations"]
    assert first[:5] == ["CTO", "a", "b", "c", "France"]
    assert second[4] == "Spain" and statuses(ran) == ["ok", "ok"]


@pytest.mark.parametrize("name", ["header-only-csv", "header-only-xlsx"])
def test_header_only(name: str, usable: dict[str, Ran]) -> None:
    ran = usable[name]
    assert "no data rows below the header" in ran.err
    assert ran.requests == 0  # nothing to count: not even the balance is looked up
    assert len(results(ran.output())) == 1


def test_formula_cells(usable: dict[str, Ran]) -> None:
    ran = usable["formulas"]
    rows = by_header(ran.output())
    assert statuses(ran) == ["invalid", "ok", "ok", "invalid"]
    assert "row 2: cell A2 (Job Titles) is a formula with no saved value" in str(rows[0]["message"])
    assert json.loads(str(rows[1]["request"]))["locations"] == ["Spain"]  # the saved value
    assert rows[2]["Notes"] == "#DIV/0!"  # an error in a column that is not sent: shown
    assert "row 5: cell A5 (Job Titles) shows the Excel error #N/A" in str(rows[3]["message"])
    assert "1 formula cell had no saved value" in ran.err
    assert ran.billable == 2


def test_merged_cells_do_not_silently_drop_a_filter(usable: dict[str, Ran]) -> None:
    ran = usable["merged-cells"]
    rows = by_header(ran.output())
    assert statuses(ran) == ["ok", "invalid"]
    assert "cell A3 (Job Titles) is empty because it is part of the merged cells A2:A3" in str(
        rows[1]["message"]
    )
    assert ran.billable == 1


def test_hidden_sheets_are_not_read(usable: dict[str, Ran]) -> None:
    ran = usable["hidden-sheets"]
    assert "read 'Segments'" in ran.err
    flat = repr(results(ran.output()))
    assert "SECRET" not in flat and "VERYHIDDEN" not in flat
    assert statuses(ran) == ["ok"]


def test_dates_and_numbers_in_text_columns(usable: dict[str, Ran]) -> None:
    ran = usable["typed-cells"]
    rows = by_header(ran.output())
    assert statuses(ran) == ["ok", "ok", "invalid"]
    assert json.loads(str(rows[0]["request"]))["job_titles"] == ["12345"]
    assert rows[0]["Notes"] == "2024-03-01 00:00:00"  # not sent: formats are not looked up
    second = json.loads(str(rows[1]["request"]))
    assert second["company_headcounts"] == ["1-10"] and second["locations"] == ["3.5"]
    assert "Excel turned '1-10' into a date" in str(rows[1]["message"])
    assert "row 4, Company Headcounts: '5000' is not a headcount bucket" in str(rows[2]["message"])
    assert rows[2]["Notes"] == "-5"


def test_corpus_size() -> None:
    """The closing note quotes this figure."""
    assert len(REFUSED) + len(USABLE) >= 60


# --- merged ranges, in-process: the reader's side of the merged-cells rule ---------------------


def _with_merges(path: Path, refs: Sequence[str]) -> Path:
    merges = f'<mergeCells count="{len(refs)}">'
    merges += "".join(f'<mergeCell ref="{ref}"/>' for ref in refs) + "</mergeCells>"
    return _rewrite(
        path, SHEET, lambda xml: xml.replace(b"</sheetData>", b"</sheetData>" + merges.encode())
    )


def _problems(path: Path) -> dict[int, tuple[str, ...]]:
    from batchcount.plan.prepare import InputOptions, prepare

    plan = prepare(InputOptions(path=path)).plan
    return {r.check.row_number: r.check.errors for r in plan.rows if r.check.errors}


def test_merges_only_matter_in_sent_columns_and_below_their_first_cell(tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path / "m.xlsx",
        [
            ["Title block", None, None, None],
            HEADER.split(","),
            ["CTO", "vp", "France", "note spanning"],
            ["CEO", "vp", "Spain", None],
            ["CFO", "vp", None, "x"],
        ],
    )
    # A1:D1 title (above the header); D3:D4 a note (not sent); C4:C5 a location (sent)
    problems = _problems(_with_merges(path, ["A1:D1", "D3:D4", "C4:C5"]))
    assert list(problems) == [5]
    assert (
        "cell C5 (Locations) is empty because it is part of the merged cells C4:C5"
        in (problems[5][0])
    )


def test_hostile_merge_declarations_cost_nothing(tmp_path: Path) -> None:
    rows = [HEADER.split(","), *([*GOOD[:3], f"n{i}"] for i in range(2000))]
    rows.append(["", "vp", "France", "empty title"])
    path = _xlsx(tmp_path / "many.xlsx", rows)
    # the whole sheet merged, 20,000 times over, plus reversed and out-of-sheet ranges
    refs = ["A1:XFD1048576"] * 20_000 + ["C9:A3", "A5000000:B5000001"]
    started = time.perf_counter()
    problems = _problems(_with_merges(path, refs))
    assert time.perf_counter() - started < 5
    assert list(problems) == [len(rows)]  # only the row whose sent cell is really empty
    assert "merged cells A1:XFD1048576" in problems[len(rows)][0]
