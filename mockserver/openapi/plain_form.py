"""Multipart bodies in the layout clients send, parsed by the ``multipart`` library instead of Werkzeug.

Werkzeug's ``MultiPartParser`` compiles two regular expressions for every new
boundary (clients pick a random boundary per request) and walks the body as a
stream of events: about 1.2 ms for an 80 KiB upload on this machine, a third of
a refused upload's CPU once its verdict is cheap, where the ``multipart``
library's push parser (Bottle's) takes about 0.03 ms. On well-formed bodies
both give the same parts; on odd ones (a preamble, bare LF line breaks, quoted
escapes, RFC 2231 names, a charset of its own, header folding) they may not, and
Werkzeug's answer (or its error, which openapi-core words) is the mock's. So
the library, in strict mode, takes a body only when every part has exactly the
headers clients send, in their plain form: a ``Content-Disposition: form-data``
with a plain quoted name (and file name), and for a file at most a
``Content-Type``; and the boundary occurs only where the parts begin and end.
Anything else gives ``None`` and goes to Werkzeug.
``tests/openapi/test_plain_form.py`` compares both on generated bodies, odd ones included.
"""

from __future__ import annotations

import re

import multipart as multipart_library

#: RFC 2046's boundary characters, without the space (which Werkzeug's search treats as padding).
_BOUNDARY = re.compile(rb"[0-9A-Za-z'()+_,./:=?-]{1,70}")
#: A part's ``Content-Disposition``: a plain quoted name, maybe a plain quoted file name; nothing to unescape.
_DISPOSITION = re.compile(r'form-data; name="([0-9A-Za-z_.\-\[\]]+)"(?:; filename="([0-9A-Za-z_.\- ]*)")?')
#: A file part's ``Content-Type``: a bare media type, no parameters.
_MEDIA_TYPE = re.compile(r"[0-9A-Za-z.+\-]+/[0-9A-Za-z.+\-]+")
#: Most parts an API form may have, for both parsers (Werkzeug's ``max_form_parts``): more is refused.
MAX_PARTS = 200


def plain_parts(body: bytes, boundary: bytes) -> tuple[list[tuple[str, str]], list[tuple[str, bytes]]] | None:
    """(text parts, file parts) of ``body`` in order, as Werkzeug reads them; ``None`` unless the layout is plain."""
    if not _BOUNDARY.fullmatch(boundary):
        return None
    texts: list[tuple[str, str]] = []
    files: list[tuple[str, bytes]] = []
    try:
        parser = multipart_library.PushMultipartParser(
            boundary, content_length=len(body), max_segment_count=MAX_PARTS, strict=True
        )
        named: tuple[str, str | None] | None = None
        chunks: list[bytes] = []
        with parser:
            for event in parser.parse(body):
                if isinstance(event, multipart_library.MultipartSegment):
                    named = _plain_head(event.headerlist)
                    if named is None:
                        return None
                    chunks = []
                elif event is not None:
                    chunks.append(bytes(event))
                elif named is not None:
                    name, filename = named
                    data = b"".join(chunks)
                    if filename is None:
                        texts.append((name, data.decode("utf-8", "replace")))
                    else:
                        files.append((name, data))
    except multipart_library.MultipartError:
        return None
    # The boundary anywhere but at the delimiters (inside a part's data or headers) is read
    # differently by the two parsers: clients pick boundaries that never occur, so such a body is odd.
    if (not texts and not files) or body.count(b"--" + boundary) != len(texts) + len(files) + 1:
        return None
    return texts, files


def _plain_head(headers: list[tuple[str, str]]) -> tuple[str, str | None] | None:
    """(name, file name or ``None``) of a part whose headers are plain (see the module's docstring), else ``None``."""
    disposition = [value for name, value in headers if name.lower() == "content-disposition"]
    media_types = [value for name, value in headers if name.lower() == "content-type"]
    if len(disposition) != 1 or len(headers) != 1 + len(media_types):
        return None
    found = _DISPOSITION.fullmatch(disposition[0])
    if found is None:
        return None
    name, filename = found.group(1), found.group(2)
    if media_types and (filename is None or len(media_types) > 1 or not _MEDIA_TYPE.fullmatch(media_types[0])):
        return None
    return name, filename


__all__ = ["MAX_PARTS", "plain_parts"]
