// Requests: the journal (GET /_mock/requests) as a live table; a row opens the whole record,
// with thumbnails of its input and delivered image (GET /_mock/thumbnails/{sha256}, the shas the record names).

import { admin, adminBlob, el, every, formatBytes, operationIds } from "./api.js";

const REFRESH_MS = 700;
let records = [];
let selected = null; // request_id of the open row
let refresh = () => {};

const $ = (id) => document.getElementById(id);

export async function init(activeTab) {
  const filters = $("requests-filters");
  const select = filters.elements.operation;
  for (const id of await operationIds()) select.append(el("option", { value: id }, id));
  refresh = every(REFRESH_MS, () => activeTab() === "requests", load);
  filters.addEventListener("input", () => refresh());
  filters.addEventListener("submit", (event) => event.preventDefault());
  $("requests-clear").addEventListener("click", async () => {
    await admin("/_mock/requests", { method: "DELETE" }).catch(() => {});
    selected = null;
    forgetThumbnails(0);
    refresh();
  });
}

export function show() {
  refresh();
}

export function tokenChanged() {
  refresh();
}

async function load() {
  const filters = $("requests-filters").elements;
  // valid/invalid is not an admin API filter: the page narrows what the API answered.
  const query = { operation: filters.operation.value, status: filters.status.value, key: filters.key.value.trim(), limit: 500 };
  const answer = await admin("/_mock/requests", { query });
  const verdict = filters.valid.value;
  records = answer.requests.filter((record) => verdict === "" || String(record.valid) === verdict).reverse();
  $("requests-count").textContent = `${records.length} shown, newest first`;
  render();
}

function render() {
  const body = $("requests-table").tBodies[0];
  body.replaceChildren(
    ...records.map((record) =>
      el(
        "tr",
        {
          class: [record.request_id === selected ? "selected" : "", record.valid === false ? "invalid" : ""].join(" "),
          "data-request-id": record.request_id,
          onclick: () => {
            selected = record.request_id;
            render();
          },
        },
        el("td", {}, record.time.slice(11, 23)),
        el("td", { class: "opt" }, record.method),
        el("td", { class: "path" }, record.path),
        el("td", { class: "operation" }, record.operation || "—", record.recording ? el("span", { class: `source ${record.recording.source}`, title: record.recording.exchange || "" }, record.recording.source) : null),
        el("td", { class: `status s${String(record.status)[0]}` }, record.status ?? "cut"),
        el("td", {}, record.valid === null ? "—" : record.valid ? "valid" : "invalid"),
        el("td", {}, record.key || "—"),
        el("td", { class: "num opt" }, Math.round(record.duration_ms)),
        el("td", { class: "opt" }, record.fault || ""),
      ),
    ),
  );
  detail(records.find((record) => record.request_id === selected));
}

function detail(record) {
  const box = $("request-detail");
  box.hidden = !record;
  if (!record) return;
  box.replaceChildren(
    ...[
    el("h3", {}, `${record.method} ${record.path} → ${record.status ?? "connection cut"}`),
    el("p", {}, `Verdict: ${record.valid === null ? "not checked" : record.valid ? "valid" : "invalid"}`, record.fault ? ` · fault fired: ${record.fault}` : ""),
    record.errors.length ? el("ul", { class: "field-errors" }, record.errors.map((line) => el("li", {}, line))) : null,
    record.recording ? recording(record.recording) : null,
    el("h4", {}, "Fields"),
    table(record.fields),
    record.image || record.delivered ? el("h4", {}, "Images") : null,
    record.image || record.delivered ? el("div", { class: "thumbs" }, inputThumbnail(record), deliveredThumbnail(record)) : null,
    el("h4", {}, "Input image"),
    imageSummary(record.image),
    el("h4", {}, "Delivered"),
    record.delivered ? table(record.delivered) : el("p", { class: "muted" }, "nothing"),
    el("h4", {}, "Headers (redacted)"),
    table(record.headers),
    el("p", { class: "muted" }, `request id ${record.request_id}${record.generation_id ? ` · generation ${record.generation_id}` : ""}`),
    ].filter(Boolean),
  );
}

/** How a recorded or replayed call came about (stability-mock record, serve --replay), and what the document said of the answer. */
function recording(facts) {
  const said = {
    recorded: "Recorded: passed to the upstream and written to the cassette",
    replayed: "Replayed from the cassette",
    mock: "No recording matched: the mock answered",
    replay_miss: "No recording matched: answered 404 replay_miss",
  }[facts.source];
  const lines = [...(facts.response_errors || []), ...(facts.replay_miss || [])];
  return el(
    "div",
    { class: "recording" },
    el("p", {}, said, facts.exchange ? ` (${facts.exchange})` : "", facts.response_valid === false ? " · the answer disagrees with the document:" : ""),
    lines.length ? el("ul", { class: "field-errors" }, lines.map((line) => el("li", {}, line))) : null,
  );
}

function imageSummary(image) {
  if (!image) return el("p", { class: "muted" }, "none");
  return el("p", {}, `${image.width ?? "?"}×${image.height ?? "?"} · ${image.format ? image.format.toUpperCase() : "unreadable"} · ${formatBytes(image.bytes)} · sha256 ${image.sha256.slice(0, 16)}…`);
}

function table(object) {
  const entries = Object.entries(object || {});
  if (!entries.length) return el("p", { class: "muted" }, "none");
  return el(
    "table",
    { class: "kv" },
    entries.map(([name, value]) =>
      el("tr", {}, el("th", {}, name), value === "" ? el("td", { class: "empty" }, "(empty)") : el("td", {}, typeof value === "object" ? JSON.stringify(value) : String(value))),
    ),
  );
}

// Thumbnails --------------------------------------------------------------------------
// Made by the mock in the background after a call, so one may come a moment after its row:
// a 404 is asked again a few times. The detail is rebuilt on every refresh, so each
// thumbnail's <figure> is kept and moved back in, loaded once (an object URL of the blob
// fetched with the admin token, which an <img src> could not send).

const THUMBNAIL_TRIES = 5;
const RETRY_MS = 1000;
const KEPT_THUMBNAILS = 40;
const thumbnails = new Map(); // "request_id/kind" → {figure, img, note, state, tries, at, url}

function inputThumbnail(record) {
  const image = record.image;
  if (!image) return thumbnailFigure(record, "input", "Input", "no image sent", false);
  const caption = `${image.width ?? "?"}×${image.height ?? "?"} · ${image.format ? image.format.toUpperCase() : "unreadable"} · ${formatBytes(image.bytes)}`;
  return thumbnailFigure(record, "input", "Input", caption, Boolean(image.format));
}

function deliveredThumbnail(record) {
  const delivered = record.delivered;
  if (!delivered) return thumbnailFigure(record, "output", "Delivered", "nothing delivered", false);
  const size = delivered.width ? `${delivered.width}×${delivered.height} · ` : "";
  const format = delivered.media_type.replace("image/", "").toUpperCase();
  const caption = `${size}${format}${delivered.as_json ? " in JSON" : ""} · ${formatBytes(delivered.bytes)}`;
  return thumbnailFigure(record, "output", "Delivered", caption, true);
}

function thumbnailFigure(record, kind, title, caption, exists) {
  const key = `${record.request_id}/${kind}`;
  let entry = thumbnails.get(key);
  if (!entry) {
    const img = el("img", { alt: `${title} thumbnail`, "data-thumbnail": kind, hidden: true });
    const note = el("span", { class: "muted" }, exists ? "loading…" : "none");
    entry = { img, note, state: exists ? "new" : "none", tries: 0, at: 0, url: null };
    entry.figure = el("figure", { class: "thumb" }, el("div", { class: "frame" }, img, note), el("figcaption", {}, el("strong", {}, title), " ", caption));
    thumbnails.set(key, entry);
    forgetThumbnails(KEPT_THUMBNAILS);
  }
  const retry = entry.state === "missing" && entry.tries < THUMBNAIL_TRIES && Date.now() - entry.at > RETRY_MS;
  if (entry.state === "new" || retry) loadThumbnail(entry, (kind === "input" ? record.image : record.delivered).sha256);
  return entry.figure;
}

async function loadThumbnail(entry, sha256) {
  entry.state = "loading";
  entry.tries += 1;
  try {
    const blob = await adminBlob(`/_mock/thumbnails/${sha256}`);
    if (blob) {
      entry.url = URL.createObjectURL(blob);
      entry.img.src = entry.url;
      entry.img.hidden = false;
      entry.note.remove();
      entry.state = "shown";
      return;
    }
  } catch (error) {
    // Asked again below, like a thumbnail not made yet.
  }
  entry.state = "missing";
  entry.at = Date.now();
  entry.note.textContent = entry.tries < THUMBNAIL_TRIES ? "not made yet…" : "no thumbnail kept";
}

/** Keep the newest `count` thumbnails (in the order rows were opened), releasing the others' blobs. */
function forgetThumbnails(count) {
  while (thumbnails.size > count) {
    const [key, entry] = thumbnails.entries().next().value;
    if (entry.url) URL.revokeObjectURL(entry.url);
    thumbnails.delete(key);
  }
}
