"""RequestFraming: when a request's bytes are all in, fed in any pieces."""

from __future__ import annotations

import pytest

from mockserver.serving.framing import MAX_HEAD_BYTES, RequestFraming

HEAD = b"POST /x HTTP/1.1\r\nHost: x\r\n"


def _done_after(data: bytes, max_body_bytes: int = 1000, step: int = 1) -> int | None:
    """How many bytes it took to be done, fed ``step`` at a time (``None``: never)."""
    framing = RequestFraming(max_body_bytes)
    for end in range(step, len(data) + step, step):
        framing.feed(data[end - step : end])
        if framing.done:
            return min(end, len(data))
    return None


@pytest.mark.parametrize("step", [1, 3, 1000])
def test_a_request_is_done_exactly_when_its_last_byte_arrives(step: int) -> None:
    no_body = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    with_length = HEAD + b"Content-Length: 5\r\n\r\nhello"
    chunked = HEAD + b"Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\n\r\n"
    trailers = HEAD + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n"
    for request in (no_body, with_length, chunked, trailers):
        assert _done_after(request, step=step) == len(request)


def test_a_partial_request_is_never_done() -> None:
    assert _done_after(HEAD) is None
    assert _done_after(HEAD + b"Content-Length: 10\r\n\r\nhalf") is None
    assert _done_after(HEAD + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhel") is None


@pytest.mark.parametrize(
    "head",
    [
        b"Content-Length: 5000\r\n",  # over the body limit: the app answers 413 without the body
        b"Content-Length: 1\r\nContent-Length: 2\r\n",
        b"Content-Length: -1\r\n",
        b"Transfer-Encoding: gzip\r\n",
        b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",
    ],
)
def test_what_gunicorn_refuses_is_handed_over_after_the_head(head: bytes) -> None:
    request = HEAD + head + b"\r\n"
    assert _done_after(request) == len(request)


def test_a_head_without_an_end_is_handed_over_past_the_bound() -> None:
    framing = RequestFraming(1000)
    framing.feed(b"GET /" + b"a" * MAX_HEAD_BYTES)
    assert framing.done


def test_a_bad_chunk_size_is_handed_over() -> None:
    request = HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n"
    assert _done_after(request) == len(request)


def test_expect_continue_is_answered_here_and_taken_out_of_the_head() -> None:
    framing = RequestFraming(1000)
    framing.feed(HEAD + b"Expect: 100-continue\r\nContent-Length: 2\r\n\r\n")
    assert framing.wants_continue and not framing.done
    framing.feed(b"ok")
    assert framing.done
    assert bytes(framing.data) == HEAD + b"Content-Length: 2\r\n\r\nok"


@pytest.mark.parametrize(
    "chunks",
    [b"5\n--b\n0\n\n", b"5\r\n--b\r\nXX0\r\n\r\n"],
    ids=["bare-lf", "bad-terminator"],
)
def test_a_malformed_chunked_body_is_handed_over_when_seen(chunks: bytes) -> None:
    request = HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + chunks
    assert _done_after(request) is not None
