"""One API call's stages, without HTTP, in the order the edge asks them.

``exchange`` (the call's typed record), ``auth``, ``rate_limit``, ``faults``,
``content_rules``, ``credits``, then the operation's ``jobs`` and
``render_ahead`` (held as long as ``timing`` says), and last the
``journal``; ``thumbnails`` works after the answer. The edge
(:mod:`mockserver.web.admission`) is the conductor; the order is held by
``tests/web/test_request_path.py``.

Imports: ``store``, ``models``, ``openapi``, ``imaging``, ``settings``,
``util``, ``errors``, ``operations``; never Flask.
"""
