"""A small HTTP/1.1 server on asyncio streams, the plumbing under `batchcount.sandbox.server`.

Hand-written on purpose: the stdlib `http.server` is thread-per-connection and far too slow
for the sandbox's throughput target, and no dependency may be added. It supports what an
HTTP client such as httpx sends: a request line, headers, a `Content-Length` body,
keep-alive (the HTTP/1.1 default; `Connection: close` honoured) and pipelining. Chunked
request bodies are refused with 411. Malformed input gets a 4xx and the connection is
closed; nothing a client sends can crash the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket

from batchcount.sandbox.wire import (
    BODY_TIMEOUT,
    KEEP_ALIVE_TIMEOUT,
    LINGER_SECONDS,
    MAX_HEADER_BYTES,
    ErrorResponder,
    Handler,
    HttpRequest,
    HttpResponse,
    ProtocolError,
    body_length,
    parse_head,
    render,
    wants_keep_alive,
)

logger = logging.getLogger("batchcount.sandbox")

__all__ = ["HttpRequest", "HttpResponse", "HttpServer", "ProtocolError"]


class HttpServer:
    """Serves `handler` on one asyncio loop. Use from inside that loop."""

    def __init__(self, handler: Handler, on_error: ErrorResponder) -> None:
        self._handler = handler
        self._on_error = on_error
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0
        self._closing = False

    async def start(self, host: str, port: int) -> int:
        self._closing = False
        self._server = await asyncio.start_server(
            self._connection, host, port, limit=MAX_HEADER_BYTES, backlog=1024
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def close(self) -> None:
        """Stop listening, close every connection and wait for their tasks to end."""
        self._closing = True
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        tasks = [t for t in self._tasks if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            # on 3.12+ this waits for connections, which are all gone by now
            await asyncio.wait_for(self._server.wait_closed(), 5.0)
            self._server = None

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._closing:  # accepted just as close() began
            writer.close()
            return
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._writers.add(writer)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                # small answers must not wait for Nagle's algorithm
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError):
            pass  # the peer went away or stalled: nothing to answer
        except asyncio.CancelledError:
            # close() cancelled us. Ending normally matters: on 3.11 asyncio's done-callback
            # calls task.exception(), which would log a cancelled connection as an error.
            if not self._closing:
                raise
        except Exception:
            logger.exception("sandbox connection failed")
        finally:
            self._writers.discard(writer)
            writer.close()
            if task is not None:
                self._tasks.discard(task)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                async with asyncio.timeout(KEEP_ALIVE_TIMEOUT):
                    head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError as exc:
                if exc.partial.strip():
                    await self._fail(reader, writer, ProtocolError(400, "Incomplete request."))
                return
            except asyncio.LimitOverrunError:
                await self._fail(
                    reader, writer, ProtocolError(431, "Request header fields too large.")
                )
                return
            except TimeoutError:
                return  # idle keep-alive connection
            try:
                method, path, query, version, headers = parse_head(head)
                length = body_length(method, headers)
            except ProtocolError as exc:
                await self._fail(reader, writer, exc)
                return
            if length and headers.get("expect", "").lower() == "100-continue":
                writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = b""
            if length:
                async with asyncio.timeout(BODY_TIMEOUT):
                    body = await reader.readexactly(length)
            request = HttpRequest(method, path, query, version, headers, body)
            response = await self._handler(request)
            if response is None:
                writer.transport.abort()  # injected fault: vanish without an answer
                return
            keep_alive = wants_keep_alive(version, headers) and not response.close
            if writer.is_closing():
                return  # the client gave up while we were working
            data = render(response, keep_alive, version)
            if response.trickle > 0 or response.cut_after is not None:
                await _send_slowly(writer, data, response)
                if response.cut_after is not None:
                    writer.transport.abort()
                    return
            else:
                writer.write(data)
                await writer.drain()
            if not keep_alive:
                return

    async def _fail(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, exc: ProtocolError
    ) -> None:
        if writer.is_closing():
            return
        response = self._on_error(exc.status, exc.detail)
        writer.write(render(response, False, "HTTP/1.1"))
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        # Lingering close: closing with unread input makes the kernel send a reset, which
        # can destroy the answer before the client reads it. So half-close, then discard
        # what the client is still sending, briefly and boundedly.
        with contextlib.suppress(ConnectionError, TimeoutError, OSError):
            if writer.can_write_eof():
                writer.write_eof()
            async with asyncio.timeout(LINGER_SECONDS):
                for _ in range(64):
                    if not await reader.read(65536):
                        break


async def _send_slowly(writer: asyncio.StreamWriter, data: bytes, response: HttpResponse) -> None:
    """Injected faults: an answer trickled a byte at a time, or cut short."""
    head = len(data) - len(response.body)
    if response.cut_after is not None:
        data = data[: head + max(0, response.cut_after)]
    start = 0 if response.trickle_head else head
    if response.trickle <= 0:
        start = len(data)
    writer.write(data[:start])
    await writer.drain()
    for i in range(start, len(data)):
        if writer.is_closing():
            return
        writer.write(data[i : i + 1])
        await writer.drain()
        await asyncio.sleep(response.trickle)
