"""Reports people and machines read: one self-contained HTML file, and JSON.

A failure carries what is needed to understand it without re-running: the minimal
example, the journal's trail of the run that failed (statuses, redacted headers,
field values, the mock's verdicts) and the input, expected and returned images.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Collection
from pathlib import Path
from typing import Any

from contract_tests.image_diff import difference_picture
from contract_tests.runner import FAILED, NOT_EXERCISED, PASSED, PropertyResult

#: Images larger than this are described, not embedded (an "oversized body" example is 10 MiB).
MAX_EMBEDDED_BYTES = 512 * 1024
#: The journal fields a trail shows, in this order.
TRAIL_FIELDS = ("time", "method", "path", "status", "valid", "errors", "headers", "fields", "image", "delivered")
_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"RIFF": "image/webp",
}


def media_type(data: bytes) -> str | None:
    """The image type of ``data`` by its signature, or ``None`` when it is not an image we show."""
    for signature, kind in _SIGNATURES.items():
        if data.startswith(signature) and (kind != "image/webp" or data[8:12] == b"WEBP"):
            return kind
    return None


def report_data(results: list[PropertyResult], *, client: str, skipped_fields: Collection[str] = ()) -> dict[str, Any]:
    """The run as JSON-able data: a summary, then every property (failures with trail and image sizes);
    ``skipped_fields`` are the fields no example sent (``--skip-field``)."""
    properties = []
    for result in results:
        entry: dict[str, Any] = {
            "name": result.name,
            "status": result.status,
            "description": result.doc,
            "operations": result.operations,
            "examples": result.examples,
            "exercised": result.exercised,
            "seconds": round(result.seconds, 3),
            "message": result.message or None,
            "example": result.example or None,
        }
        if result.client_output:
            entry["client_output"] = result.client_output
        if result.status == FAILED:
            entry["trail"] = [_trail_entry(record) for record in result.trail]
            entry["images"] = {
                name: None if data is None else {"bytes": len(data), "media_type": media_type(data)}
                for name, data in result.images.items()
            }
        properties.append(entry)
    return {
        "client": client,
        "skipped_fields": sorted(skipped_fields),
        "passed": sum(r.status == PASSED for r in results),
        "failed": sum(r.status == FAILED for r in results),
        "not_exercised": sum(r.status == NOT_EXERCISED for r in results),
        "properties": properties,
    }


def write_json(results: list[PropertyResult], path: Path, *, client: str, skipped_fields: Collection[str] = ()) -> None:
    """Write :func:`report_data` to ``path``."""
    data = report_data(results, client=client, skipped_fields=skipped_fields)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")


def write_html(results: list[PropertyResult], path: Path, *, client: str, skipped_fields: Collection[str] = ()) -> None:
    """Write one self-contained HTML page (inline CSS, images as ``data:`` URIs)."""
    data = report_data(results, client=client, skipped_fields=skipped_fields)
    sections = [_section(result) for result in results]
    page = _PAGE.format(
        title=html.escape(short_name(client)),
        client=html.escape(client),
        passed=data["passed"],
        failed=data["failed"],
        not_exercised=data["not_exercised"],
        skipped=_skipped_note(data["skipped_fields"]),
        total=len(results),
        sections="\n".join(sections),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")


def short_name(client: str, limit: int = 60) -> str:
    """A title for ``client``: a long command shortened to its program and script names, without paths."""
    if len(client) <= limit:
        return client
    words = client.split()
    named = [word.rsplit("/", 1)[-1] for word in words[:2]]
    return " ".join(named) + (" …" if len(words) > 2 else "")


def _skipped_note(fields: list[str]) -> str:
    if not fields:
        return ""
    return f" <b>Field(s) never sent (--skip-field): {html.escape(', '.join(fields))}.</b>"


def _trail_entry(record: dict[str, Any]) -> dict[str, Any]:
    return {name: record.get(name) for name in TRAIL_FIELDS}


def _section(result: PropertyResult) -> str:
    status = html.escape(result.status)
    parts = [
        f'<section class="{status.replace(" ", "-")}">',
        f"<h2><span class=badge>{status.upper()}</span> {html.escape(result.name)}</h2>",
        f"<p>{html.escape(result.doc)}</p>",
        f"<p class=meta>{result.examples} example(s), {result.seconds:.1f} s; "
        f"operations: {html.escape(', '.join(result.operations) or 'none')}</p>",
    ]
    if result.message and result.status != FAILED:
        parts.append(f"<p class=meta>{html.escape(result.message)}</p>")
    if result.status == FAILED:
        parts.append(f"<p class=why>{html.escape(result.message)}</p>")
        parts.append(f"<h3>Minimal example</h3><pre>{html.escape(result.example)}</pre>")
        if result.client_output:
            parts.append(f"<h3>What the client said</h3><pre>{html.escape(result.client_output)}</pre>")
        parts.append("<h3>Images</h3><div class=images>")
        parts.extend(_figure(name, data) for name, data in result.images.items())
        expected, returned = result.images.get("expected"), result.images.get("returned")
        difference = difference_picture(expected, returned) if expected and returned else None
        if difference is not None:
            parts.append(_figure("difference (amplified)", difference))
        parts.append("</div>")
        parts.append(_trail_table(result.trail))
    parts.append("</section>")
    return "\n".join(parts)


def _figure(name: str, data: bytes | None) -> str:
    caption = html.escape(name)
    if data is None:
        return f"<figure><div class=none>none</div><figcaption>{caption}: none</figcaption></figure>"
    kind = media_type(data)
    size = f"{len(data):,} bytes"
    if kind is None or len(data) > MAX_EMBEDDED_BYTES:
        what = "not an image" if kind is None else "too large to embed"
        preview = html.escape(data[:200].decode("utf-8", "replace"))
        return f"<figure><pre class=none>{preview}</pre><figcaption>{caption}: {size}, {what}</figcaption></figure>"
    uri = f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"
    return f'<figure><img src="{uri}" alt="{caption}"><figcaption>{caption}: {kind}, {size}</figcaption></figure>'


def _trail_table(trail: list[dict[str, Any]]) -> str:
    if not trail:
        return "<h3>Trail</h3><p>The client sent no request.</p>"
    rows = []
    for record in trail:
        fields = record.get("fields") or {}
        headers = record.get("headers") or {}
        verdict = "valid" if record.get("valid") else ("invalid" if record.get("valid") is False else "n/a")
        errors = "; ".join(record.get("errors") or ())
        rows.append(
            "<tr>"
            f"<td>{html.escape(str(record.get('time', '')))}</td>"
            f"<td>{html.escape(str(record.get('method')))} {html.escape(str(record.get('path')))}</td>"
            f"<td class=status>{html.escape(str(record.get('status')))}</td>"
            f"<td>{html.escape(verdict)}{': ' + html.escape(errors) if errors else ''}</td>"
            f"<td>{_pairs(fields)}</td>"
            f"<td>{_pairs(headers)}</td>"
            "</tr>"
        )
    head = (
        "<tr><th>time</th><th>call</th><th>status</th><th>verdict</th><th>fields</th><th>headers (redacted)</th></tr>"
    )
    return f"<h3>Trail (from the mock's journal)</h3><table>{head}{''.join(rows)}</table>"


def _pairs(values: dict[str, Any]) -> str:
    return "<br>".join(f"<b>{html.escape(str(k))}</b>={html.escape(_clip(str(v)))}" for k, v in values.items())


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} chars)"


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>stability-mock contract: {title}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }}
section {{ border-left: 6px solid #999; padding: .2em 1em; margin: 1em 0; background: #fafafa; }}
section.passed {{ border-color: #2a8f3c; }} section.not-exercised {{ border-color: #e0a000; }}
section.failed {{ border-color: #c62828; background: #fff5f5; }}
.badge {{ font-size: 12px; padding: .1em .5em; border-radius: 3px; background: #ddd; }}
.failed .badge {{ background: #c62828; color: #fff; }} .not-exercised .badge {{ background: #e0a000; }}
.passed .badge {{ background: #2a8f3c; color: #fff; }}
.meta {{ color: #666; }} .why {{ font-weight: bold; }}
pre {{ white-space: pre-wrap; word-break: break-all; background: #f0f0f0; padding: .5em; }}
.images {{ display: flex; gap: 1em; flex-wrap: wrap; }}
figure {{ margin: 0; }} figure img, .none {{ max-width: 240px; max-height: 240px; border: 1px solid #ccc; }}
.none {{ width: 240px; height: 120px; overflow: hidden; font-size: 11px; color: #666; }}
table {{ border-collapse: collapse; font-size: 12px; table-layout: fixed; width: 100%; }}
td, th {{ border: 1px solid #ddd; padding: .3em; vertical-align: top; overflow-wrap: anywhere; }}
td.status {{ font-weight: bold; }}
th:nth-child(1) {{ width: 11em; }} th:nth-child(3) {{ width: 4em; }} th:nth-child(4) {{ width: 12em; }}
th:nth-child(5) {{ width: 18%; }} th:nth-child(6) {{ width: 32%; }}
</style></head>
<body>
<h1>Contract report: {title}</h1>
<details><summary>client</summary><pre>{client}</pre></details>
<p>{passed} passed, {failed} failed, {not_exercised} not exercised, of {total} properties.{skipped}</p>
{sections}
</body></html>
"""
