"""Interception of ``https://api.stability.ai``: a local CA and an intercepting forward proxy.

Clients that hard-code the live API's base URL reach the mock through
``HTTPS_PROXY`` (or a host-name mapping with ``serve --tls``) and trust the
mock's CA; nothing in their code changes, and no other host is ever contacted.
``ca`` (the local CA in the data folder, and leaf certificates), ``proxy``
(the listener, its connection limit and TLS contexts), ``session`` (one client
connection: CONNECT and absolute-form requests, other hosts refused) and
``process`` (the proxy as a child process of ``serve``; ``python -m
mockserver.interception``).

Imports: ``settings``, ``util`` and ``errors`` only.
"""
