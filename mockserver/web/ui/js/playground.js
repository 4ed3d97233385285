// Playground: the upscale operations' forms, built from the spec in force, sent through the
// public API as any client would; async jobs are polled until their 200.

import { DEMO_KEY, el, formatBytes, operations, resolve, shq, spec } from "./api.js";

const POLL_MS = 400;
let ops = [];
let chosen = null; // the operation, from operations()
let file = null; // the image to send
let run = 0; // bumped by every send and by Stop: a poll loop of an older run stops

const $ = (id) => document.getElementById(id);

export async function init() {
  $("play-key").value = DEMO_KEY;
  ops = await operations();
  const box = $("play-operations");
  for (const op of ops) {
    const radio = el("input", { type: "radio", name: "operation", value: op.name, onchange: () => choose(op) });
    box.append(el("label", { class: "radio" }, radio, ` ${op.name} `, el("small", { class: "muted" }, op.sync ? "sync" : "async")));
  }
  setUpImage();
  $("play-form").addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  $("play-form").addEventListener("input", renderCurl);
  $("play-stop").addEventListener("click", () => {
    run += 1;
    finish("stopped polling");
  });
  $("copy-curl").addEventListener("click", copyCurl);
  $("slider-cut").addEventListener("input", cut);
  const first = ops.find((op) => op.name === "fast") || ops[0];
  box.querySelector(`input[value="${first.name}"]`).checked = true;
  choose(first);
}

export function show() {}

function setUpImage() {
  const input = $("play-image");
  const zone = $("drop-zone");
  input.addEventListener("change", () => pick(input.files[0] || null));
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    pick(event.dataTransfer.files[0] || null);
  });
}

function pick(picked) {
  // Any file goes: the API, not the page, says what it refuses.
  file = picked;
  $("drop-zone").dataset.file = file ? `${file.name} (${formatBytes(file.size)})` : "";
  renderCurl();
}

async function choose(op) {
  chosen = op;
  const doc = await spec();
  const holder = $("play-fields");
  holder.replaceChildren();
  const required = new Set(op.schema.required || []);
  for (const [name, raw] of Object.entries(op.schema.properties || {})) {
    if (name === "image") continue;
    holder.append(fieldFor(name, resolve(doc, raw), required.has(name)));
  }
  clearErrors();
  renderCurl();
}

/** One form field from its JSON schema: enums as selects, bounds as input limits, the default as a hint. */
function fieldFor(name, schema, required) {
  const id = `play-field-${name}`;
  let control;
  if (schema.enum) {
    control = el("select", { id, name }, el("option", { value: "" }, required ? "choose…" : `(default${schema.default !== undefined ? `: ${schema.default}` : ""})`));
    for (const value of schema.enum) control.append(el("option", { value }, value));
  } else if (schema.type === "integer" || schema.type === "number") {
    const low = schema.minimum ?? schema.exclusiveMinimum;
    const high = schema.maximum ?? schema.exclusiveMaximum;
    control = el("input", {
      id, name, type: "number", min: low, max: high,
      step: schema.type === "integer" ? 1 : "any",
      placeholder: schema.default !== undefined ? `default ${schema.default}` : "",
    });
  } else if (/prompt/.test(name)) {
    control = el("textarea", { id, name, rows: 2 });
  } else {
    control = el("input", { id, name, placeholder: schema.default !== undefined ? `default ${schema.default}` : "" });
  }
  const bounds = [];
  if (schema.minimum !== undefined || schema.maximum !== undefined) bounds.push(`${schema.minimum ?? "…"} to ${schema.maximum ?? "…"}`);
  if (schema.maxLength !== undefined) bounds.push(`up to ${schema.maxLength} characters`);
  return el(
    "div", { class: "field", id: `field-${name}` },
    el("label", { for: id }, name, required ? el("span", { class: "required", title: "required" }, " *") : null),
    control,
    bounds.length ? el("small", { class: "muted" }, bounds.join(", ")) : null,
    el("div", { class: "field-error", "data-error-for": name }),
  );
}

/** The fields the form would send, empty ones left out (the API's defaults apply). */
function values() {
  const sent = [];
  for (const control of $("play-fields").querySelectorAll("[name]")) {
    if (control.value !== "") sent.push([control.name, control.value]);
  }
  return sent;
}

function key() {
  return $("play-key").value.trim();
}

function url() {
  return location.origin + chosen.path;
}

function renderCurl() {
  if (!chosen) return;
  const lines = [`curl -sS -H ${shq(`Authorization: Bearer ${key()}`)} \\`, `  -F image=@${shq(file ? file.name : "image.png")} \\`];
  for (const [name, value] of values()) lines.push(`  -F ${shq(`${name}=${value}`)} \\`);
  lines.push(chosen.sync ? `  -o result -D - ${shq(url())}` : `  ${shq(url())}`);
  if (!chosen.sync) {
    lines.push("# then poll the id it answers until 200:");
    // Double quotes: the shell fills in $ID.
    lines.push(`curl -sS -H ${shq(`Authorization: Bearer ${key()}`)} -o result -D - "${location.origin}${chosen.poll.replace("{id}", "$ID")}"`);
  }
  $("play-curl").textContent = lines.join("\n");
}

async function copyCurl() {
  const text = $("play-curl").textContent;
  try {
    await navigator.clipboard.writeText(text);
    $("copy-curl").textContent = "Copied";
  } catch {
    // No clipboard permission: select the text so a Ctrl+C does it.
    getSelection().selectAllChildren($("play-curl"));
  }
  setTimeout(() => ($("copy-curl").textContent = "Copy"), 1500);
}

function clearErrors() {
  for (const box of document.querySelectorAll("#tab-playground .field-error")) box.textContent = "";
  for (const field of document.querySelectorAll("#tab-playground .field.invalid")) field.classList.remove("invalid");
  $("play-errors").hidden = true;
  $("play-errors").replaceChildren();
}

/** The API's error lines, each next to the field it names ("creativity: must be ≤ 0.35"). */
function showApiError(status, body) {
  const lines = (body && body.errors) || [];
  const general = [];
  for (const line of lines) {
    const cut = line.indexOf(": ");
    let name = cut > 0 ? line.slice(0, cut) : "";
    // A body refused for its size is the image's doing: that is the only large part.
    if (status === 413) name = "image";
    const box = document.querySelector(`#tab-playground [data-error-for="${CSS.escape(name)}"]`);
    if (box) {
      box.textContent = box.textContent ? `${box.textContent}; ${line}` : line;
      box.closest(".field").classList.add("invalid");
    } else {
      general.push(line);
    }
  }
  const panel = $("play-errors");
  panel.replaceChildren(el("strong", {}, `${status} ${(body && body.name) || ""}`), el("span", {}, ` ${(body && body.message) || ""}`));
  if (general.length) panel.append(el("ul", {}, general.map((line) => el("li", {}, line))));
  panel.hidden = false;
}

function tick(text, kind = "") {
  $("play-ticks").append(el("li", { class: kind }, text));
}

function status(text) {
  $("play-status").textContent = text;
}

function finish(text) {
  $("play-send").disabled = false;
  $("play-stop").hidden = true;
  status(text);
}

async function send() {
  const mine = ++run;
  clearErrors();
  $("play-ticks").replaceChildren();
  $("play-result").hidden = true;
  $("play-send").disabled = true;
  status("sending…");
  const form = new FormData();
  if (file) form.append("image", file, file.name);
  for (const [name, value] of values()) form.append(name, value);
  const headers = { Authorization: `Bearer ${key()}`, Accept: "image/*" };
  let response;
  try {
    response = await fetch(chosen.path, { method: "POST", headers, body: form });
  } catch (error) {
    tick(`POST ${chosen.path} → no answer (${error.message})`, "bad");
    finish("the connection failed");
    return;
  }
  tick(`POST ${chosen.path} → ${response.status}`, response.ok ? "ok" : "bad");
  if (!response.ok) return failed(response);
  if (isImage(response)) return delivered(response);
  const { id } = await response.json();
  tick(`generation ${id}`);
  $("play-stop").hidden = false;
  const pollUrl = chosen.poll.replace("{id}", id);
  const shown = chosen.poll.replace("{id}", `${id.slice(0, 12)}…`);
  while (mine === run) {
    status(`polling ${id.slice(0, 12)}…`);
    const poll = await fetch(pollUrl, { headers }).catch(() => null);
    if (mine !== run) return;
    if (!poll) {
      tick(`GET ${shown} → no answer`, "bad");
      return finish("the connection failed");
    }
    tick(`GET ${shown} → ${poll.status}`, poll.status === 202 ? "wait" : poll.ok ? "ok" : "bad");
    if (poll.status === 202) {
      await new Promise((done) => setTimeout(done, POLL_MS));
      continue;
    }
    return poll.ok ? delivered(poll) : failed(poll);
  }
}

function isImage(response) {
  return (response.headers.get("content-type") || "").startsWith("image/");
}

async function failed(response) {
  const body = await response.json().catch(() => null);
  showApiError(response.status, body);
  finish(`${response.status} ${(body && body.name) || ""}`);
}

async function delivered(response) {
  const blob = await response.blob();
  const type = response.headers.get("content-type") || blob.type;
  const after = URL.createObjectURL(blob);
  const before = URL.createObjectURL(file);
  await Promise.all([load($("before-img"), before), load($("after-img"), after)]);
  $("slider-before").src = before;
  $("slider-after").src = after;
  $("slider-box").style.setProperty("--ratio", $("after-img").naturalWidth / $("after-img").naturalHeight);
  cut();
  $("before-info").textContent = describe($("before-img"), file.type || "?", file.size);
  $("after-info").textContent = `${describe($("after-img"), type, blob.size)} · seed ${response.headers.get("seed")} · finish-reason ${response.headers.get("finish-reason")}`;
  const link = $("download-link");
  link.href = after;
  link.download = `upscaled.${type.split("/")[1] || "bin"}`;
  $("play-result").hidden = false;
  finish(`${response.status} ${response.headers.get("finish-reason") || ""}`);
}

/** The slider view: the "before" image shows left of the cut, the "after" right of it. */
function cut() {
  $("slider-before").style.clipPath = `inset(0 ${100 - Number($("slider-cut").value)}% 0 0)`;
}

function load(img, src) {
  return new Promise((done) => {
    img.onload = img.onerror = done;
    img.src = src;
  });
}

function describe(img, type, bytes) {
  return `${img.naturalWidth}×${img.naturalHeight} · ${type.replace("image/", "").toUpperCase()} · ${formatBytes(bytes)}`;
}
