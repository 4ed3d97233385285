"""Small tools with no project imports at all.

``lru`` (a bounded cache), ``deferred`` (a value built once, on first use),
``lazy_exports`` (a package's public names loaded on first use), ``pool``
(a thread pool that declines work when busy), ``per_thread`` (a resource per
thread, closed when its thread or its owner goes), ``private_folder`` (the mock's
folders: mode 0700, ignored by git), ``redaction`` (secrets kept out of what is
printed or stored), ``atomic_file`` (a file written whole or not at all) and ``paths``
(the one reading of a request target's path, shared by the proxy's guard and the app's router).
"""
