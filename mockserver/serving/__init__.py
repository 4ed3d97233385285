"""The engine under the app: gunicorn, the event-loop worker, TLS and start-up.

Handed a WSGI app by :mod:`mockserver.cli`, it serves it: ``server`` (the
gunicorn application), ``worker`` (the event-loop worker and its TLS
handshake), ``framing`` (where an HTTP/1.1 request ends), ``preread`` (the
bytes the loop read, handed to gunicorn's parser a read's worth at a time), ``engine_errors``
(gunicorn's refusals in the API's error shape), ``access_log``, ``warmup``
(what a worker builds after its first answer) and ``gc_pause`` (start-up
without cyclic GC).

Imports: ``interception``, ``services``, ``settings``, ``util``, ``errors``;
never the web layer's modules (the app is handed in).
"""
