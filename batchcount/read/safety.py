"""Safety checks run on a workbook file before anything parses it: zip bombs, parts that
unpack to more than they declare, encrypted parts and password-protected (OLE2) workbooks.

Used by `batchcount.read.sheet` before `sheet_workbook` reads the file; `inspect_zip` and
`inspect_ole` also say which workbook format the content is.
"""

from __future__ import annotations

import copy
import zipfile
import zlib
from pathlib import Path

from batchcount.errors import InputFileError

_MAX_UNZIPPED = 1 << 30  # 1 GiB
_RATIO_CHECK_ABOVE = 100 * 1000 * 1000
_MAX_RATIO = 200
_INFLATE_CHUNK = 1 << 20
_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")


def inspect_zip(path: Path, name: str, ext: str) -> str:
    """Refuse damaged zips, zip bombs and non-workbooks; return the workbook format."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            members = {i.filename for i in infos}
            types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in members else b""
            mimetype = archive.read("mimetype")[:100] if "mimetype" in members else b""
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError) as exc:
        raise InputFileError(
            f"{name} is damaged: it is not a complete zip archive, as an .xlsx must be ({exc}); "
            "it may have been cut short while downloading or copying: get a fresh copy, or "
            "open it in Excel and let Excel repair it"
        ) from None
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    if total > _MAX_UNZIPPED or (total > _RATIO_CHECK_ABOVE and total > _MAX_RATIO * packed):
        raise InputFileError(
            f"{name} would unpack to {_size(total)} from {_size(packed)}, which "
            "looks like a zip bomb (limits: 1 GiB, or 200x compression above 100 MB); if it is "
            "a genuine workbook, save the sheet as .csv and read that instead"
        )
    _check_declared_sizes(path, name)
    if b"ms-excel.sheet.binary" in types:
        return "xlsb"
    if b"spreadsheetml" in types or "xl/workbook.xml" in members:
        return "xlsm" if ext == ".xlsm" or b"macroEnabled" in types else "xlsx"
    if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        return "ods"
    kind = "a zip archive"
    if any(m.startswith("word/") for m in members):
        kind = "a Word document"
    elif any(m.startswith("ppt/") for m in members):
        kind = "a PowerPoint presentation"
    listed = ", ".join(sorted(members)[:5]) or "nothing"
    raise InputFileError(
        f"{name} is {kind}, not an Excel workbook (it contains: {listed}); "
        "point batchcount at the .xlsx or .csv file that holds the segments"
    )


def _check_declared_sizes(path: Path, name: str) -> None:
    """Inflate every member (output discarded) to prove none unpacks to more than declared.

    The size check above trusts the zip directory; a crafted file can declare a few KB and
    inflate to GBs, which calamine would unpack in full. Bounded by the declared total (<= 1 GiB).
    """
    member = ""
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                member = info.filename
                probe = copy.copy(info)
                probe.file_size = info.file_size + 1  # one byte more than declared is proof
                probe.CRC = None  # type: ignore[assignment]  # sizes only; calamine checks CRCs
                inflated = 0
                with archive.open(probe) as stream:
                    while chunk := stream.read(_INFLATE_CHUNK):
                        inflated += len(chunk)
                if inflated > info.file_size:
                    raise InputFileError(
                        f"{name} is damaged or crafted: its part {member!r} unpacks to more than "
                        f"the {_size(info.file_size)} its zip directory declares, which is how a "
                        "zip bomb hides; it was not read. Get a fresh copy, or open it in Excel "
                        "and save it again"
                    )
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError) as exc:
        raise InputFileError(
            f"{name} is damaged: its part {member!r} cannot be unpacked ({exc}); get a fresh "
            "copy, or open it in Excel and let Excel repair it"
        ) from None
    except (RuntimeError, NotImplementedError) as exc:  # encrypted member, unknown compression
        raise InputFileError(
            f"{name} cannot be read: its part {member!r} is encrypted or uses an unsupported "
            f"compression ({exc}); open it in Excel, remove any password and save it again"
        ) from None


def _size(count: int) -> str:
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if count >= scale:
            return f"{count / scale:,.1f} {unit}"
    return f"{count} bytes"


def inspect_ole(path: Path, name: str, ext: str) -> str:
    """An OLE2 container is an .xls workbook or an encrypted (password-protected) workbook."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"cannot read {name}: {exc.strerror or exc}") from None
    if _ENCRYPTED_MARK in data:
        raise InputFileError(
            f"{name} is password-protected (encrypted), so it cannot be read; open it in "
            "Excel, remove the password (File > Info > Protect Workbook > Encrypt with "
            "Password, clear it), save, and try again"
        )
    return "xls"
