"""The HTTP edge: the only place that reads Flask's ``request``, ``g`` and ``current_app``.

``app`` (the factory and the one error edge), ``admission`` (reads a request
and asks each stage of :mod:`mockserver.pipeline` once, in order),
``admin_guard``, ``browser_guard`` (the Host allow-list and cross-site refusals:
what a web page can make the mock do), ``request_target`` (routing on the path
the proxy's guard judges), ``negotiation`` (``Accept``), ``responses``,
``transport_faults`` (staged resets and stalls carried out on the socket),
``url_rules``, ``current`` (what a route reads of this request), ``recording``
(``record`` and ``--replay``: the upstream's or the cassette's answer instead of
admission's) and
``routes/`` (one blueprint per resource); ``ui/`` holds the dashboard.

Imports: ``control`` and every layer below it; never ``serving``,
``interception`` or ``cli``.
"""
