"""Small tools with no project imports at all.

``lru`` (a bounded cache), ``deferred`` (a value built once, on first use),
``lazy_exports`` (a package's public names loaded on first use), ``pool``
(a thread pool that declines work when busy), ``per_thread`` (a resource per
thread, closed when its thread or its owner goes) and ``redaction`` (secrets
kept out of what is printed or stored).
"""
