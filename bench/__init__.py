"""``make bench``: the mock's speed, measured side by side with bare Pillow and Prism.

``python -m bench`` runs every figure of the scale issue in one process tree on
loopback, prints a table and writes ``bench/RESULTS.md``. It is not part of
``make test``; ``tests/test_bench_smoke.py`` runs its smallest pieces so it does
not rot.
"""

from pathlib import Path

#: The checkout ``bench/`` belongs to, where ``mockserver/``, ``spec/`` and ``fixtures/`` are. Modules find
#: files from here, not from their own folder, so a module can move to a subfolder without breaking them.
ROOT = Path(__file__).resolve().parent.parent
