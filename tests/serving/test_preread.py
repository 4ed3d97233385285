"""The bytes the worker's loop read, handed to gunicorn's parser as a socket would hand them."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from gunicorn.http.body import ChunkedReader
from gunicorn.http.unreader import IterUnreader

from mockserver.serving.preread import PrereadUnreader, ReadTimedOut


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        yield ours, theirs


def tiny_chunks(count: int) -> tuple[bytes, bytes]:
    """A chunked body of ``count`` 3-byte chunks with extensions (the fuzz's find), and what it decodes to."""
    data = b"".join(b"%03d" % (number % 1000) for number in range(count))
    framed = b"".join(b"3;name=value\r\n" + data[at : at + 3] + b"\r\n" for at in range(0, len(data), 3))
    return framed + b"0\r\n\r\n", data


def test_held_bytes_come_first_in_reads_no_larger_than_a_sockets_then_the_socket(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = pair
    held = bytes(range(256)) * 100
    unreader = PrereadUnreader(ours)
    unreader.hold(held)
    theirs.sendall(b"from the socket")
    pieces = []
    while unreader.holds_data():
        pieces.append(unreader.read())
    assert max(map(len, pieces)) == unreader.mxchunk
    assert b"".join(pieces) == held
    assert unreader.read() == b"from the socket"


def test_a_size_hint_reads_as_much_as_a_socket_read_would(pair: tuple[socket.socket, socket.socket]) -> None:
    unreader = PrereadUnreader(pair[0])
    unreader.hold(b"x" * (3 * unreader.max_body_chunk))
    assert len(unreader.read(None, read_ahead=20_000)) == 20_000
    assert len(unreader.read(None, read_ahead=10 * unreader.max_body_chunk)) == unreader.max_body_chunk


def test_unread_bytes_precede_held_ones_and_take_buffered_returns_both(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    unreader = PrereadUnreader(pair[0])
    unreader.hold(b"abcdef")
    assert unreader.read(2) == b"ab"
    unreader.unread(b"X")
    assert unreader.take_buffered() == b"Xcdef"
    assert not unreader.holds_data()
    unreader.hold(b"12")
    unreader.hold(b"34")
    assert unreader.take_buffered() == b"1234"


def test_gunicorns_chunked_parser_decodes_the_same_body_from_it(pair: tuple[socket.socket, socket.socket]) -> None:
    framed, data = tiny_chunks(5000)
    unreader = PrereadUnreader(pair[0])
    unreader.hold(framed + b"GET / HTTP/1.1\r\n")
    reader = ChunkedReader(object(), unreader)
    decoded = b"".join(iter(lambda: reader.read(65536), b""))
    reference = ChunkedReader(object(), IterUnreader([framed]))
    assert decoded == data == b"".join(iter(lambda: reference.read(65536), b""))
    assert unreader.take_buffered() == b"GET / HTTP/1.1\r\n"


def test_a_socket_read_that_times_out_is_a_read_timeout(pair: tuple[socket.socket, socket.socket]) -> None:
    """The worker answers :class:`ReadTimedOut` with a 408; held bytes are served without touching the socket."""
    ours, _ = pair
    ours.settimeout(0.01)
    unreader = PrereadUnreader(ours)
    unreader.hold(b"held")
    assert unreader.read() == b"held"
    with pytest.raises(ReadTimedOut):
        unreader.read()
