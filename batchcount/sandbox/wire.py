"""HTTP/1.1 messages for the sandbox server: the request and response, parsing a request
head (strictly: anything malformed is a ProtocolError with the 4xx to answer), the body's
length, keep-alive, and rendering a response."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 1024 * 1024
KEEP_ALIVE_TIMEOUT = 60.0  # idle seconds before a kept-alive connection is closed
BODY_TIMEOUT = 30.0  # seconds allowed to deliver a body once its headers arrived
LINGER_SECONDS = 1.0  # after a protocol error, how long to drain input before closing


@dataclass(slots=True)
class HttpRequest:
    method: str
    path: str  # without the query string
    query: str
    version: str  # "HTTP/1.1" or "HTTP/1.0"
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes


@dataclass(slots=True)
class HttpResponse:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    close: bool = False  # close the connection after this answer
    # fault injection: seconds between single bytes sent (0 = all at once), from the start of
    # the status line if `trickle_head`, else from the start of the body; `cut_after`: send
    # that many body bytes only, then drop the connection
    trickle: float = 0.0
    trickle_head: bool = False
    cut_after: int | None = None


# A handler answers a request; None means "drop the connection without answering".
Handler = Callable[[HttpRequest], Awaitable[HttpResponse | None]]
# Builds the answer to a protocol error (status, detail), so it can use the caller's envelope.
ErrorResponder = Callable[[int, str], HttpResponse]


class ProtocolError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


_REASONS = {s.value: s.phrase for s in HTTPStatus}
_TOKEN_CHARS = frozenset(
    b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)


def parse_head(head: bytes) -> tuple[str, str, str, str, dict[str, str]]:
    """Parse request line and headers (`head` ends with CRLFCRLF).

    Returns (method, path, query, version, headers). Raises ProtocolError.
    """
    lines = head[:-4].split(b"\r\n")
    while lines and not lines[0]:
        del lines[0]  # RFC 9112 2.2: ignore empty lines before the request line
    if not lines:
        raise ProtocolError(400, "Malformed request line.")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or not parts[0] or not set(parts[0]) <= _TOKEN_CHARS:
        raise ProtocolError(400, "Malformed request line.")
    method_b, target_b, version_b = parts
    if version_b not in (b"HTTP/1.1", b"HTTP/1.0"):
        if version_b.startswith(b"HTTP/"):
            raise ProtocolError(505, "HTTP version not supported.")
        raise ProtocolError(400, "Malformed request line.")
    target = target_b.decode("latin-1")
    if target.startswith(("http://", "https://")):  # absolute-form: keep only the path
        slash = target.find("/", target.find("//") + 2)
        target = target[slash:] if slash >= 0 else "/"
    if not target.startswith("/") or any(c <= " " or c == "\x7f" for c in target):
        raise ProtocolError(400, "Malformed request target.")
    path, _, query = target.partition("?")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name_b, sep, value_b = line.partition(b":")
        if not sep or not name_b or not set(name_b) <= _TOKEN_CHARS:
            # also rejects obsolete line folding (a line starting with a space)
            raise ProtocolError(400, "Malformed header line.")
        name = name_b.decode("ascii").lower()
        value = value_b.strip(b" \t").decode("latin-1")
        if name in headers:
            if name == "content-length" and headers[name] != value:
                raise ProtocolError(400, "Conflicting Content-Length headers.")
            if name != "content-length":
                headers[name] = f"{headers[name]}, {value}"
        else:
            headers[name] = value
    return method_b.decode("ascii"), path, query, version_b.decode("ascii"), headers


def wants_keep_alive(version: str, headers: dict[str, str]) -> bool:
    tokens = {t.strip().lower() for t in headers.get("connection", "").split(",")}
    if "close" in tokens:
        return False
    return version == "HTTP/1.1" or "keep-alive" in tokens


def body_length(method: str, headers: dict[str, str]) -> int:
    """How many body bytes follow the head. Raises ProtocolError (411/400/413)."""
    if "transfer-encoding" in headers:
        raise ProtocolError(
            411, "Send the body with Content-Length; chunked bodies are not supported."
        )
    raw = headers.get("content-length")
    if raw is None:
        if method in ("POST", "PUT", "PATCH"):
            raise ProtocolError(411, "Content-Length is required.")
        return 0
    if not raw.isascii() or not raw.isdigit():
        raise ProtocolError(400, "Invalid Content-Length.")
    length = int(raw)
    if length > MAX_BODY_BYTES:
        raise ProtocolError(413, "Request body too large.")
    return length


def render(response: HttpResponse, keep_alive: bool, version: str) -> bytes:
    reason = _REASONS.get(response.status, "Unknown")
    lines = [f"HTTP/1.1 {response.status} {reason}"]
    lines.extend(f"{name}: {value}" for name, value in response.headers)
    lines.append(f"Content-Length: {len(response.body)}")
    if not keep_alive:
        lines.append("Connection: close")
    elif version == "HTTP/1.0":
        lines.append("Connection: keep-alive")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + response.body
