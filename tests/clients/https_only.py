"""A command client as published SDKs ship: it speaks https only, to a host it hard-codes.

    python tests/clients/https_only.py [--base-from-env] OPERATION IMAGE OUTPUT FIELDS_JSON

By default the host is ``https://api.stability.ai`` whatever ``STABILITY_API_BASE``
says, so only ``HTTPS_PROXY`` and a trusted CA can point it at the mock; it refuses
to run without ``HTTPS_PROXY``, so a test never reaches the real API. With
``--base-from-env`` it takes ``STABILITY_API_BASE``, but only an ``https://`` one.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from contract_tests.reference_client import UpscaleClient, UpscaleError

LIVE = "https://api.stability.ai"


def main(argv: list[str]) -> int:
    from_env = argv[:1] == ["--base-from-env"]
    arguments = argv[1:] if from_env else argv
    if len(arguments) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    base = os.environ.get("STABILITY_API_BASE", "") if from_env else LIVE
    if not base.startswith("https://"):
        print(f"https_only: refusing {base!r}: the API is https only", file=sys.stderr)
        return 2
    if base == LIVE and not os.environ.get("HTTPS_PROXY"):
        print("https_only: no HTTPS_PROXY; refusing to call the real API from a test", file=sys.stderr)
        return 2
    operation, image, output, fields = arguments
    client = UpscaleClient(base, os.environ["STABILITY_API_KEY"], poll_interval=0.01, backoff=0.1, max_wait=2.0)
    try:
        result = getattr(client, operation)(Path(image).read_bytes(), **json.loads(Path(fields).read_text()))
    except UpscaleError as exc:
        print(f"https_only: {exc}", file=sys.stderr)
        return 1
    Path(output).write_bytes(result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
