"""The requests the bench sends: multipart uploads, jobs in a known state, staged plans."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from bench.harness.server import Server, request

FAST_PATH = "/v2beta/stable-image/upscale/fast"
CONSERVATIVE_PATH = "/v2beta/stable-image/upscale/conservative"


@dataclass(frozen=True)
class Multipart:
    """A ready-to-send multipart/form-data body and its Content-Type."""

    body: bytes
    content_type: str
    #: Where the image part's bytes end: bytes inserted there make a new upload that
    #: still starts as the same image (see :attr:`bench.harness.load.Target.vary_at`).
    image_end: int = 0


def multipart(image: bytes, **fields: str) -> Multipart:
    """``image`` as a PNG file part (with its Content-Type, which Prism needs) plus text fields."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="input.png"\r\n'
        "Content-Type: image/png\r\n\r\n".encode()
        + image
        + b"\r\n"
    ]
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f"--{boundary}--\r\n".encode())
    return Multipart(b"".join(parts), f"multipart/form-data; boundary={boundary}", len(parts[0]) - 2)


def post(server: Server, path: str, form: Multipart) -> tuple[int, bytes]:
    return request(server, "POST", path, form.body, {"Content-Type": form.content_type})


def fast(server: Server, image: bytes, output_format: str = "png") -> tuple[int, bytes]:
    return post(server, FAST_PATH, multipart(image, output_format=output_format))


def start_job(server: Server, image: bytes) -> str:
    status, body = post(server, CONSERVATIVE_PATH, multipart(image, prompt="a sunny landscape"))
    if status != 200:
        raise RuntimeError(f"conservative answered {status}: {body[:300]!r}")
    return str(json.loads(body)["id"])


def ready_job(server: Server, image: bytes) -> str:
    """A job whose result is rendered and stored: every later poll answers 200."""
    job_id = start_job(server, image)
    for _ in range(5):
        if poll(server, job_id)[0] == 200:
            return job_id
    raise RuntimeError("the job never became ready")


def pending_job(server: Server, image: bytes) -> str:
    """A job planned never to finish: every poll answers 202."""
    plan = json.dumps({"operation": "upscaleImageConservative", "job": {"pending_polls": None}}).encode()
    status, body = request(server, "POST", "/_mock/faults", plan, {"Content-Type": "application/json"})
    if status != 201:
        raise RuntimeError(f"staging the plan answered {status}: {body[:300]!r}")
    job_id = start_job(server, image)
    if poll(server, job_id)[0] != 202:
        raise RuntimeError("the pending job did not answer 202")
    return job_id


def poll_path(job_id: str) -> str:
    return f"/v2beta/results/{job_id}"


def poll(server: Server, job_id: str) -> tuple[int, bytes]:
    return request(server, "GET", poll_path(job_id))
