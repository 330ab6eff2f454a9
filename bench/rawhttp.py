"""A minimal HTTP/1.1 keep-alive client on asyncio streams, for the load generator.

The bench runs its client on the same two cores as the server and the
database. httpx costs about 1.5 ms of CPU per request there, a fifth of what a
kefu intake request costs, so at a few hundred requests a second the client
would be measuring itself. This client does only what the scenarios need:
GET and POST with a body, Content-Length or chunked responses, a pool of
kept-alive connections; it costs about a tenth of that. The same interface as
the part of httpx that ``bench/load.py`` uses (``get``, ``post``, a response
with ``status_code``, ``headers``, ``content``, ``text`` and ``json()``).
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from urllib.parse import quote, urlsplit

_URL_SAFE = "/?&=%:+,;@-._~"


class Response:
    __slots__ = ("status_code", "headers", "content")

    def __init__(self, status_code: int, headers: dict[str, str], content: bytes):
        self.status_code = status_code
        self.headers = headers
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self):
        return jsonlib.loads(self.content)


class Client:
    """``async with Client(base, headers=..., cookies=...) as c: await c.get(path)``."""

    def __init__(self, base_url: str, *, headers: dict | None = None, cookies: dict | None = None):
        u = urlsplit(base_url)
        self.host, self.port = u.hostname, u.port or 80
        fixed = {"Host": f"{self.host}:{self.port}", "Accept-Encoding": "identity", **(headers or {})}
        if cookies:
            fixed["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        self._fixed = "".join(f"{k}: {v}\r\n" for k, v in fixed.items())
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        while self._idle:
            _, w = self._idle.pop()
            w.close()

    async def get(self, path: str, *, headers: dict | None = None) -> Response:
        return await self.request("GET", path, headers=headers)

    async def post(self, path: str, *, json=None, headers: dict | None = None) -> Response:
        body = jsonlib.dumps(json, ensure_ascii=False).encode()
        return await self.request("POST", path, body=body, headers=headers, content_type="application/json")

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        headers: dict | None = None,
        content_type: str | None = None,
    ) -> Response:
        # Percent-encode what is not ASCII (q=毛刺), as httpx does; leave the query's syntax alone.
        head = f"{method} {quote(path, safe=_URL_SAFE)} HTTP/1.1\r\n{self._fixed}"
        if headers:
            head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        if content_type:
            head += f"Content-Type: {content_type}\r\n"
        if body or method == "POST":
            head += f"Content-Length: {len(body)}\r\n"
        data = head.encode("latin-1") + b"\r\n" + body
        if self._idle:
            reader, writer = self._idle.pop()
            writer.write(data)
            try:
                raw = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                # The server closed the idle connection (gunicorn's keep-alive timeout):
                # nothing was answered, so send it again on a new one.
                writer.close()
                return await self._send_new(data)
            return await self._finish(reader, writer, raw)
        return await self._send_new(data)

    async def _send_new(self, data: bytes) -> Response:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        writer.write(data)
        try:
            raw = await reader.readuntil(b"\r\n\r\n")
        except BaseException:
            writer.close()
            raise
        return await self._finish(reader, writer, raw)

    async def _finish(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes
    ) -> Response:
        conn = (reader, writer)
        try:
            lines = raw.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            hdrs: dict[str, str] = {}
            for line in lines[1:]:
                if line:
                    k, _, v = line.partition(":")
                    hdrs[k.strip().lower()] = v.strip()
            if "content-length" in hdrs:
                content = await reader.readexactly(int(hdrs["content-length"]))
            elif hdrs.get("transfer-encoding", "").lower() == "chunked":
                content = await _read_chunked(reader)
            else:
                content = await reader.read()
                hdrs["connection"] = "close"
        except BaseException:
            writer.close()
            raise
        if hdrs.get("connection", "").lower() == "close":
            writer.close()
        else:
            self._idle.append(conn)
        return Response(status, hdrs, content)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
