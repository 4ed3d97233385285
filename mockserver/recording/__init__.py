"""Record exchanges with the real service, and replay them offline.

``cassette`` (the folder's format: manifest, one JSON file per exchange, blobs
by sha256, secrets redacted; read back and checked), ``writer`` (each file
written atomically), ``upstream`` (the request passed on with requests, the
answer taken whole; 502 and 504 when there is none), ``recorder`` (forward,
then write the exchange), ``matcher`` (which recording answers a request, in
recorded order; what differs from the nearest on a miss) and ``har`` (the
journal as HAR 1.2).

The public names load on first use, so a mock that neither records nor replays
never imports requests.

Imports: ``pipeline`` and every layer below it, never Flask: the HTTP edge
(:mod:`mockserver.web.recording`) reads the request and answers it.
"""

import typing

from mockserver.util import lazy_exports

if typing.TYPE_CHECKING:
    from mockserver.recording.cassette import (
        Cassette,
        RecordedExchange,
        RecordedRequest,
        RecordedResponse,
        load_cassette,
    )
    from mockserver.recording.matcher import Miss, Replayer
    from mockserver.recording.recorder import Recorder, SentRequest, Verdict
    from mockserver.recording.upstream import Upstream, UpstreamAnswer
    from mockserver.recording.writer import CassetteWriter

__all__ = [
    "Cassette",
    "CassetteWriter",
    "Miss",
    "RecordedExchange",
    "RecordedRequest",
    "RecordedResponse",
    "Recorder",
    "Replayer",
    "SentRequest",
    "Upstream",
    "UpstreamAnswer",
    "Verdict",
    "load_cassette",
]

__getattr__, __dir__ = lazy_exports.exports(
    __name__,
    {
        "Cassette": "mockserver.recording.cassette",
        "CassetteWriter": "mockserver.recording.writer",
        "Miss": "mockserver.recording.matcher",
        "RecordedExchange": "mockserver.recording.cassette",
        "RecordedRequest": "mockserver.recording.cassette",
        "RecordedResponse": "mockserver.recording.cassette",
        "Recorder": "mockserver.recording.recorder",
        "Replayer": "mockserver.recording.matcher",
        "SentRequest": "mockserver.recording.recorder",
        "Upstream": "mockserver.recording.upstream",
        "UpstreamAnswer": "mockserver.recording.upstream",
        "Verdict": "mockserver.recording.recorder",
        "load_cassette": "mockserver.recording.cassette",
    },
)
