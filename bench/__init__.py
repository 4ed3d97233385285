"""``make bench``: the mock's speed, measured side by side with bare Pillow and Prism; and its harness.

``python -m bench`` runs every figure of the scale issue in one process tree on
loopback, prints a table and writes ``bench/RESULTS.md``. It is not part of
``make test``; ``tests/test_bench_smoke.py`` runs its smallest pieces so it does
not rot. One role per folder; the figures of ``make bench`` are at the top:

- ``__main__``: ``python -m bench``, every figure in one run;
- ``figures``: each figure measured by one function that returns rows;
- ``rounds``: the throughput figures, the mock and Prism in alternating rounds;
- ``hot_paths``: per-request cost inside one process (what the profiler looks at);
- ``floor``: ``serve``'s worker with no app at all, the engine's floor;
- ``prism``: Prism installed and started for the ours/Prism ratios;
- ``machine``: what the figures were measured on;
- ``report``: the terminal table and ``RESULTS.md``;
- ``soak``: ``make soak`` (``python -m bench.soak``), a bounded mixed load; ``make bench``
  runs it shorter for its memory figure.

Folders:

- ``harness/``: what the bench and the tests use to start the mock and talk to it;
- ``fuzzing/``: raw-HTTP fuzzing, ``make fuzz`` (``python -m bench.fuzzing``) and the tests' strategies;
- ``compare/``: one-off comparisons of a change with the code before it (``python -m bench.compare.<name>``);
- ``notes/``: what those measurements concluded (``PROFILING.md``, ``ENGINES.md``,
  ``THUMBNAILS.md``, ``PLUGIN_STARTUP.md``); ``RESULTS.md`` stays here, as ``make bench`` writes it.

Bench may import ``mockserver`` and ``contract_tests``, never ``tests``.
"""

from pathlib import Path

#: The checkout ``bench/`` belongs to, where ``mockserver/``, ``spec/`` and ``fixtures/`` are. Modules find
#: files from here, not from their own folder, so a module can move to a subfolder without breaking them.
ROOT = Path(__file__).resolve().parent.parent
