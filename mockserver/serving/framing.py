"""Where an HTTP/1.1 request ends, told from its bytes as they arrive, without a thread per connection.

The serving worker (:mod:`mockserver.serving.worker`) reads every connection in its
event loop until :class:`RequestFraming` says the request is all in, and only
then hands it to a thread; a client that sends half a request and goes quiet
holds a buffer, not a thread. The framing is deliberately lenient: anything it
does not follow (a malformed head, a body larger than the mock accepts,
conflicting lengths) is handed over at once, and gunicorn's own parser, which
stays the one judge of the request, answers it.
"""

from __future__ import annotations

import re

#: Heads larger than this are handed over unfinished: gunicorn reads the rest and refuses it (414/431).
MAX_HEAD_BYTES = 64 * 1024
_HEAD_END = b"\r\n\r\n"
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
#: ``Expect: 100-continue`` as a header line; the worker answers it itself (see :meth:`RequestFraming.feed`).
_EXPECT_CONTINUE = re.compile(rb"\r\nexpect[ \t]*:[ \t]*100-continue[ \t]*(?=\r\n)", re.IGNORECASE)
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class RequestFraming:
    """The bytes of one request as they arrive; :attr:`done` once they can be handed over.

    Args:
        max_body_bytes: a body announced or grown larger than this is handed over
            at once, for the app to refuse with its 413.
    """

    def __init__(self, max_body_bytes: int) -> None:
        self.max_body_bytes = max_body_bytes
        self.data = bytearray()
        self.done = False
        #: ``True`` once the client asked ``Expect: 100-continue`` and should be told to go on.
        self.wants_continue = False
        self._body_start = -1
        self._length: int | None = None
        self._chunked = False
        #: Where the next chunk-size line starts, for a chunked body.
        self._chunk_at = 0

    @property
    def received(self) -> int:
        return len(self.data)

    def feed(self, data: bytes) -> None:
        """Add bytes the client sent; sets :attr:`done` when the request is complete (or not ours to follow)."""
        self.data += data
        if self._body_start < 0:
            self._read_head()
        if self._body_start >= 0 and not self.done:
            self._read_body()

    def _read_head(self) -> None:
        end = self.data.find(_HEAD_END)
        if end < 0:
            self.done = len(self.data) > MAX_HEAD_BYTES
            return
        head = bytes(self.data[:end])
        self._body_start = end + len(_HEAD_END)
        lengths: list[bytes] = []
        codings: list[bytes] = []
        for line in head.split(b"\r\n")[1:]:
            name, colon, value = line.partition(b":")
            name = name.strip().lower()
            if not colon:
                continue
            if name == b"content-length":
                lengths.append(value.strip())
            elif name == b"transfer-encoding":
                codings.append(value.strip().lower())
        if codings:
            # Only a lone, final ``chunked`` is followed; gunicorn answers the rest (and TE with CL) with a 400.
            self._chunked = not lengths and codings == [b"chunked"]
            self.done = not self._chunked
            self._chunk_at = self._body_start
        elif len(lengths) > 1 or (lengths and not lengths[0].isdigit()):
            self.done = True
        else:
            self._length = int(lengths[0]) if lengths else 0
            self.done = self._length > self.max_body_bytes
        if not self.done and _EXPECT_CONTINUE.search(head):
            # Told "go on" here, the client sends its body to this buffer; the line is
            # taken out so that gunicorn does not send a second 100 Continue.
            self.data[:end] = _EXPECT_CONTINUE.sub(b"", head)
            self._body_start = self.data.find(_HEAD_END) + len(_HEAD_END)
            self._chunk_at = self._body_start
            self.wants_continue = True

    def _read_body(self) -> None:
        if not self._chunked:
            self.done = len(self.data) - self._body_start >= (self._length or 0)
            return
        while True:
            line_end = self.data.find(b"\n", self._chunk_at) - 1
            if line_end < 0:
                # A chunk-size line never needs more than a few dozen bytes; extensions aside.
                self.done = len(self.data) - self._chunk_at > 4096
                return
            if self.data[line_end] != 0x0D:
                self.done = True  # a bare LF: gunicorn refuses it
                return
            size_text = bytes(self.data[self._chunk_at : line_end]).split(b";", 1)[0].strip()
            if not _CHUNK_SIZE.fullmatch(size_text):
                self.done = True
                return
            size = int(size_text, 16)
            if size == 0:
                # The last chunk, then trailer lines, then an empty line.
                self.done = self.data.find(b"\r\n", line_end + 2) == line_end + 2 or (
                    self.data.find(_HEAD_END, line_end) >= 0
                )
                return
            if self._chunk_at + size - self._body_start > self.max_body_bytes:
                self.done = True
                return
            next_at = line_end + 2 + size + 2
            if len(self.data) < next_at:
                return
            if self.data[next_at - 2 : next_at] != b"\r\n":
                self.done = True  # chunk data not followed by CRLF: gunicorn refuses it
                return
            self._chunk_at = next_at
