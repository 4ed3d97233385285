"""``python -m mockserver.openapi``: write the bundled documents' parsed copies now, as ``compileall`` writes bytecode.

A start reads the copies instead of parsing YAML (:mod:`mockserver.openapi.parsed`) but
writes none when Python writes no bytecode (``PYTHONDONTWRITEBYTECODE``, as in the
Dockerfile): a build step or ``make run`` writes them here instead.
"""

from __future__ import annotations

import sys

from mockserver.openapi.files import keep_parsed_copies


def main() -> int:
    for path in keep_parsed_copies():
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
