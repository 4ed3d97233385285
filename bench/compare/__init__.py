"""One-off comparisons: a change measured against the code before it, or against other engines, in one run.

Each alternates its two sides run by run, so the machine's load weighs on both alike, and
says at its top which note in ``bench/notes/`` holds its conclusion. None is part of
``make bench``; run one with ``python -m bench.compare.<module>``.

- ``cold_start``: a server's start to its first answers, this tree against ``--before``;
- ``store_costs``: the store's share of a call, this tree against ``--before``;
- ``thumbnail_cost``: what the journal's thumbnails add to a call, with them and without;
- ``engines``: the same app on gunicorn gthread, the mock's worker, gevent and granian;
- ``plugin_startup``: what the installed pytest plugin adds to a run that never uses it;
- ``slow_clients``: issue 12's goal at full scale, hundreds of slow clients beside a timed call;
- ``pathable_check``: what the Python 3.11 pathable repair (applied by ``serve`` only) is worth in-process.
"""
