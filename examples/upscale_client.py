"""A command-line client of the upscale API, built on the reference client.

    stability-mock contract --client-cmd "python examples/upscale_client.py {operation} {image} {output} {fields}"

Usage: upscale_client.py OPERATION IMAGE OUTPUT FIELDS_JSON, with
STABILITY_API_BASE and STABILITY_API_KEY in the environment.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from contract_tests.reference_client import UpscaleClient, UpscaleError


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    operation, image, output, fields = argv
    client = UpscaleClient(
        os.environ.get("STABILITY_API_BASE", "https://api.stability.ai"),
        os.environ["STABILITY_API_KEY"],
        poll_interval=float(os.environ.get("STABILITY_POLL_SECONDS", "10")),
        backoff=float(os.environ.get("STABILITY_BACKOFF_SECONDS", "1")),
    )
    try:
        result = getattr(client, operation)(Path(image).read_bytes(), **json.loads(Path(fields).read_text()))
    except UpscaleError as exc:
        print(f"upscale_client: {exc}", file=sys.stderr)
        return 1
    # Write to a temporary file first, so a failure never leaves partial output.
    target = Path(output)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as partial:
        partial.write(result)
    Path(partial.name).replace(target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
