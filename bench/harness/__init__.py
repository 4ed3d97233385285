"""The harness: what the bench and the project's tests use to run the mock and talk to it.

Tests may import these modules (bench never imports tests). From the bottom up:

- ``processes``: the gunicorn master and workers behind a URL, read from /proc (pids, memory, CPU);
- ``server``: the one starter of ``stability-mock serve`` on a free loopback port, and its stop;
- ``images``: deterministic photo-like images, and copies that differ only in their bytes;
- ``api``: the requests the bench sends (multipart uploads, jobs in a known state, staged plans);
- ``load``: load generators in processes of their own (``wrk`` when installed, else Python).
"""
