// Talking to the mock: the admin API (with the admin token, if one is needed), the spec in
// force, and small helpers every tab shares. The page keeps no state of its own beyond the
// token (sessionStorage) and the API key the playground sends.

const TOKEN_KEY = "stability-mock.admin-token";
export const DEMO_KEY = "sk-dashboard-demo";

/** An answer in the API's error shape ({id, name, message, errors}). */
export class ApiError extends Error {
  constructor(status, body) {
    const lines = (body && body.errors) || [];
    super(`${status} ${(body && body.name) || "error"}: ${lines.join("; ") || (body && body.message) || ""}`);
    this.status = status;
    this.body = body || {};
    this.errors = lines;
  }
}

export function adminToken() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

/** Tabs call this with a message to ask for the token, or with null once the admin API answers. */
let guardListener = () => {};
export function onGuard(listener) {
  guardListener = listener;
}

/** Call the admin API; resolves to its JSON, rejects with ApiError. */
export async function admin(path, { method = "GET", body, query } = {}) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== "" && value !== undefined && value !== null) url.searchParams.set(name, value);
  }
  const headers = { Accept: "application/json" };
  const token = adminToken();
  if (token) headers["X-Admin-Token"] = token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await response.json().catch(() => null);
  if (response.status === 403) {
    guardListener((data && data.errors && data.errors[0]) || "the admin API refused this page");
  } else {
    guardListener(null);
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** GET an admin resource that is not JSON (a thumbnail) with the token: a Blob, or null on 404. */
export async function adminBlob(path) {
  const headers = {};
  const token = adminToken();
  if (token) headers["X-Admin-Token"] = token;
  const response = await fetch(new URL(path, location.origin), { headers });
  if (response.status === 404) return null;
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  return response.blob();
}

export function saveAdminToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

let specPromise = null;
/** The OpenAPI document in force (the profile's), as the mock serves it at /openapi.json. */
export function spec() {
  specPromise = specPromise || fetch("/openapi.json").then((r) => r.json());
  return specPromise;
}

/** Follow a local "#/components/..." reference; anything else as it is. */
export function resolve(doc, node) {
  let current = node;
  while (current && current.$ref && current.$ref.startsWith("#/")) {
    current = current.$ref.slice(2).split("/").reduce((part, name) => part[name], doc);
  }
  return current;
}

/** The upscale operations of the document: name (last path segment), path, id, schema, sync or not. */
export async function operations() {
  const doc = await spec();
  const found = [];
  for (const [path, item] of Object.entries(doc.paths || {})) {
    const post = item.post;
    const body = post && resolve(doc, post.requestBody);
    const form = body && body.content && body.content["multipart/form-data"];
    if (!form) continue;
    const ok = resolve(doc, (post.responses || {})["200"]) || {};
    const sync = Object.keys(ok.content || {}).some((type) => type.startsWith("image/"));
    // The v2alpha upscale (live profile) ends in "upscale" too: name it by its version.
    const name = path.startsWith("/v2alpha/") ? "v2alpha" : path.split("/").pop();
    const poll = sync ? null : pollPath(doc, ok);
    found.push({ name, path, id: post.operationId, schema: resolve(doc, form.schema), sync, poll });
  }
  return found;
}

/** Where a job's id is polled: the path of the first operation the answer links it to (the document says). */
function pollPath(doc, answer) {
  const first = Object.values(answer.links || {})[0];
  for (const [path, item] of Object.entries(doc.paths || {})) {
    if (first && item.get && item.get.operationId === first.operationId) return path;
  }
  return "/v2beta/results/{id}";
}

/** Every operationId of the document, for filters and fault forms. */
export async function operationIds() {
  const doc = await spec();
  const ids = [];
  for (const item of Object.values(doc.paths || {})) {
    for (const operation of Object.values(item)) if (operation && operation.operationId) ids.push(operation.operationId);
  }
  return ids;
}

/** Build an element: el("td", {class: "x"}, "text", child). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Shell-quote for the copyable curl lines. */
export function shq(text) {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${String(text).replace(/'/g, "'\\''")}'`;
}

/** The curl line of an admin call; the token is named, never printed. */
export function adminCurl(method, path, body) {
  const parts = ["curl -sS"];
  if (method !== "GET") parts.push(`-X ${method}`);
  if (adminToken()) parts.push('-H "X-Admin-Token: $STABILITY_MOCK_ADMIN_TOKEN"');
  if (body !== undefined) parts.push("-H 'Content-Type: application/json'", `-d ${shq(JSON.stringify(body))}`);
  parts.push(shq(location.origin + path));
  return parts.join(" ");
}

/** A JSON value written as Python, for the pytest lines. */
export function py(value) {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (Array.isArray(value)) return `[${value.map(py).join(", ")}]`;
  if (typeof value === "object") return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${py(v)}`).join(", ")}}`;
  return JSON.stringify(value);
}

export function pyKeywords(object) {
  return Object.entries(object).map(([name, value]) => `${name}=${py(value)}`).join(", ");
}

/** Show an admin call's error lines in a form's [data-errors] box (or hide it). */
export function showErrors(box, error) {
  box.replaceChildren();
  box.hidden = !error;
  if (!error) return;
  const lines = error instanceof ApiError ? error.errors : [];
  box.append(el("strong", {}, error instanceof ApiError ? `${error.status} ${error.body.name || ""}` : String(error)));
  if (lines.length) box.append(el("ul", {}, lines.map((line) => el("li", {}, line))));
}

export function formatBytes(count) {
  if (count === null || count === undefined) return "?";
  return count >= 1024 * 1024 ? `${(count / 1024 / 1024).toFixed(2)} MiB` : count >= 1024 ? `${(count / 1024).toFixed(1)} KiB` : `${count} B`;
}

/** Run `task` about every `ms` while `active()` holds; never two at once. */
export function every(ms, active, task) {
  let running = false;
  const tick = async () => {
    if (!running && active() && document.visibilityState !== "hidden") {
      running = true;
      try {
        await task();
      } catch (error) {
        // The next tick tries again; the guard banner or the tab shows what went wrong.
      } finally {
        running = false;
      }
    }
  };
  setInterval(tick, ms);
  return tick;
}
