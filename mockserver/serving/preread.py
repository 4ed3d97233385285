"""The bytes the event loop read ahead of gunicorn's parser, handed to it no faster than a socket would.

The worker reads a whole request in its event loop before a thread parses it
(:mod:`mockserver.serving.worker`), so the parser finds all of it already in
hand. gunicorn's ``Unreader.read()`` returns everything it holds at once, and
its chunked-body parser copies what is left of one read for every chunk: fine
for the 8 KiB a socket read gives, quadratic for a whole body. A 600 KB body
of 3-byte chunks held a core for 13 s, and four of them stopped a worker (found
by ``make fuzz``). :class:`PrereadUnreader` hands the held bytes out in pieces
as large as one socket read would be, then reads the socket itself, its
timeout raised as :class:`ReadTimedOut` (the worker answers 408; a plain
timeout would be logged as a socket error with a traceback).
"""

from __future__ import annotations

from typing import Any

from gunicorn.http.unreader import SocketUnreader


class ReadTimedOut(Exception):
    """A pool thread waited ``read_timeout`` seconds for more of a request (a head over the loop's bound)."""


class PrereadUnreader(SocketUnreader):  # type: ignore[misc]  # gunicorn ships no types
    """gunicorn's socket unreader, with bytes already received served first, a read's worth at a time."""

    def __init__(self, sock: Any, max_chunk: int = 8192) -> None:
        super().__init__(sock, max_chunk)
        self._held = memoryview(b"")
        self._at = 0

    def hold(self, data: bytes) -> None:
        """Queue ``data`` (received after anything held now) for the parser, before the socket is read again."""
        self._held = memoryview(self.take_buffered() + data)
        self._at = 0

    def holds_data(self) -> bool:
        """Whether bytes are in hand that the parser has not taken (a pipelined request's, after an answer)."""
        return self._at < len(self._held) or len(self.buf.getbuffer()) > 0

    def chunk(self, size_hint: int | None = None) -> bytes:
        """The next held piece, sized as ``SocketUnreader.chunk`` sizes a socket read; the socket once none is left."""
        if self._at >= len(self._held):
            try:
                data: bytes = super().chunk(size_hint)
            except TimeoutError as exc:
                raise ReadTimedOut(str(exc)) from exc
            return data
        size = self.mxchunk
        if size_hint and size_hint > size:
            size = min(size_hint, self.max_body_chunk)
        piece = bytes(self._held[self._at : self._at + size])
        self._at += len(piece)
        if self._at >= len(self._held):
            self._held, self._at = memoryview(b""), 0
        return piece

    def take_buffered(self) -> bytes:
        """Everything in hand (unread bytes first, then what is held), without touching the socket."""
        data: bytes = super().take_buffered() + bytes(self._held[self._at :])
        self._held, self._at = memoryview(b""), 0
        return data


__all__ = ["PrereadUnreader", "ReadTimedOut"]
