// Stage: queue faults, change runtime settings, set credits, reset. Each form calls the admin
// API and shows the same call as a curl line and as a line of the stability_mock pytest fixture.

import { admin, adminCurl, DEMO_KEY, el, operationIds, py, pyKeywords, showErrors, spec } from "./api.js";

const $ = (id) => document.getElementById(id);

/** Settings whose empty input means null (off), and those that are lists of words. */
const NULLABLE = new Set(["rate_limit", "credits"]);
/** Settings that take one of a few words (their `enum` in spec/admin.yml): a menu, not free text. */
const CHOICES = { timing: ["instant", "live"] };
let settings = {};

export async function init() {
  await setUpFaultForm();
  setUpSettingsForm();
  setUpCreditsForm();
  setUpResetForm();
}

export function show() {
  loadFaults();
  loadSettings();
}

export function tokenChanged() {
  // The curl lines name the token header only when a token is in use.
  for (const render of [renderFault, renderSettings, renderCredits, renderReset]) render();
  show();
}

/** Show a form's equivalent lines. */
function lines(form, curl, pytest) {
  form.querySelector("[data-curl]").textContent = curl;
  form.querySelector("[data-pytest]").textContent = pytest;
}

/** Run an admin call for a form: its errors in the form, nothing thrown. */
async function submit(form, call) {
  try {
    const answer = await call();
    showErrors(form.querySelector("[data-errors]"), null);
    return answer;
  } catch (error) {
    showErrors(form.querySelector("[data-errors]"), error);
    return undefined;
  }
}

// Faults -------------------------------------------------------------------

async function setUpFaultForm() {
  const form = $("fault-form");
  for (const id of await operationIds()) form.elements.operation.append(el("option", { value: id }, id));
  // The statuses a fault may stage, as the admin API's own FaultInput allows them: from the API's error list.
  const doc = await spec();
  const statuses = new Set();
  for (const item of Object.values(doc.paths)) {
    for (const operation of Object.values(item)) {
      for (const code of Object.keys((operation && operation.responses) || {})) if (/^[45]\d\d$/.test(code)) statuses.add(code);
    }
  }
  for (const code of [...statuses].sort()) form.elements.status.append(el("option", { value: code }, code));
  form.addEventListener("input", () => renderFault());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (await submit(form, () => admin("/_mock/faults", { method: "POST", body: faultBody() }))) loadFaults();
  });
  $("faults-clear").addEventListener("click", async () => {
    await submit(form, () => admin("/_mock/faults", { method: "DELETE", query: { key: faultsKey() } }));
    loadFaults();
  });
  $("faults-key").addEventListener("input", () => loadFaults());
  renderFault();
}

/** The POST /_mock/faults body the form describes; blank inputs are left to the API's defaults. */
function faultBody() {
  const f = $("fault-form").elements;
  const body = { operation: f.operation.value };
  if (f.status.value) body.status = Number(f.status.value);
  if (f.error.value) body.error = f.error.value;
  if (f.message.value) body.message = f.message.value;
  if (f.transport.value) body.transport = f.transport.value;
  for (const name of ["stall_seconds", "latency_ms", "jitter_ms"]) if (f[name].value !== "") body[name] = Number(f[name].value);
  const job = {};
  if (f.job_never.checked) job.pending_polls = null;
  else if (f.job_pending_polls.value !== "") job.pending_polls = Number(f.job_pending_polls.value);
  if (f.job_seconds.value !== "") job.job_seconds = Number(f.job_seconds.value);
  if (f.job_outcome.value) job.outcome = f.job_outcome.value;
  if (Object.keys(job).length) body.job = job;
  if (f.times_forever.checked) body.times = null;
  else if (f.times.value !== "") body.times = Number(f.times.value);
  if (f.key.value.trim()) body.key = f.key.value.trim();
  return body;
}

function renderFault() {
  const body = faultBody();
  lines($("fault-form"), adminCurl("POST", "/_mock/faults", body), `stability_mock.add_fault(${pyKeywords(body)})`);
}

/** The key the queued list is narrowed to ("": every fault). */
function faultsKey() {
  return $("faults-key").value.trim();
}

async function loadFaults() {
  const key = faultsKey();
  $("faults-clear").textContent = key ? "Delete this key's" : "Delete all";
  const { faults } = await admin("/_mock/faults", { query: { key } }).catch(() => ({ faults: [] }));
  $("faults-list").replaceChildren(
    ...faults.map((fault) =>
      el(
        "li",
        { "data-fault-id": fault.id },
        el("code", {}, describeFault(fault)),
        " ",
        el("button", { type: "button", class: "small", onclick: async () => {
          await submit($("fault-form"), () => admin(`/_mock/faults/${encodeURIComponent(fault.id)}`, { method: "DELETE" }));
          loadFaults();
        } }, "Delete"),
      ),
    ),
  );
  if (!faults.length) $("faults-list").append(el("li", { class: "muted" }, key ? "none queued for this key" : "none queued"));
}

function describeFault(fault) {
  const parts = [fault.operation];
  if (fault.status) parts.push(`status ${fault.status}`);
  if (fault.transport) parts.push(fault.transport);
  if (fault.latency_ms) parts.push(`+${fault.latency_ms} ms`);
  if (fault.job) parts.push(`job ${fault.job.pending_polls === null ? "never finishes" : `${fault.job.pending_polls} polls`} → ${fault.job.outcome}`);
  parts.push(`fired ${fault.fired}/${fault.times ?? "∞"}`);
  parts.push(fault.key ? `for ${fault.key}` : "any key");
  return parts.join(" · ");
}

// Runtime settings ----------------------------------------------------------

function setUpSettingsForm() {
  const form = $("settings-form");
  form.addEventListener("input", () => renderSettings());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await submit(form, () => admin("/_mock/settings", { method: "PATCH", body: settingsChanges() }));
    if (answer) fillSettings(answer);
  });
}

async function loadSettings() {
  const form = $("settings-form");
  const answer = await submit(form, () => admin("/_mock/settings"));
  if (answer) fillSettings(answer);
}

function fillSettings(answer) {
  settings = answer;
  const holder = $("settings-fields");
  holder.replaceChildren(
    ...Object.entries(answer).map(([name, value]) => {
      const text = Array.isArray(value) ? value.join(", ") : value === null ? "" : String(value);
      const hint = Array.isArray(value) ? "comma-separated" : NULLABLE.has(name) ? "empty: off" : "";
      const input = CHOICES[name]
        ? el("select", { name }, CHOICES[name].map((choice) => el("option", { value: choice, selected: choice === value }, choice)))
        : el("input", { name, value: text, placeholder: hint, type: typeof value === "number" ? "number" : "text", step: "any" });
      return el("label", {}, `${name} `, input);
    }),
  );
  renderSettings();
}

/** Only the settings the form changed: a PATCH that names what it means to change. */
function settingsChanges() {
  const changes = {};
  for (const input of $("settings-fields").querySelectorAll("input, select")) {
    const before = settings[input.name];
    let value;
    if (Array.isArray(before)) value = input.value.split(",").map((word) => word.trim()).filter(Boolean);
    else if (input.value === "" && NULLABLE.has(input.name)) value = null;
    else if (typeof before === "number" || (input.name === "credits" && input.value !== "")) value = Number(input.value);
    else value = input.value;
    if (JSON.stringify(value) !== JSON.stringify(before)) changes[input.name] = value;
  }
  return changes;
}

function renderSettings() {
  const changes = settingsChanges();
  const pytest = `stability_mock.update_settings(${pyKeywords(changes)})`;
  lines($("settings-form"), adminCurl("PATCH", "/_mock/settings", changes), Object.keys(changes).length ? pytest : `${pytest}  # change a value above`);
}

// Credits -------------------------------------------------------------------

function creditsPath() {
  return `/_mock/credits/${encodeURIComponent($("credits-form").elements.key.value.trim())}`;
}

function renderCredits() {
  const form = $("credits-form");
  const balance = Number(form.elements.balance.value || 0);
  const key = form.elements.key.value.trim();
  lines(form, adminCurl("PUT", creditsPath(), { balance }), `stability_mock.set_credits(${py(key)}, ${balance})`);
}

function setUpCreditsForm() {
  const form = $("credits-form");
  form.elements.key.value = DEMO_KEY;
  const path = creditsPath;
  const render = renderCredits;
  const said = (answer) => {
    if (answer) form.querySelector("[data-result]").textContent = `${answer.key}: ${answer.balance ?? "credits off"}`;
  };
  form.addEventListener("input", render);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    said(await submit(form, () => admin(path(), { method: "PUT", body: { balance: Number(form.elements.balance.value) } })));
  });
  form.querySelector("[data-read]").addEventListener("click", async () => said(await submit(form, () => admin(path()))));
  render();
}

// Reset ---------------------------------------------------------------------

function renderReset() {
  lines($("reset-form"), adminCurl("POST", "/_mock/reset"), "stability_mock.reset()");
}

function setUpResetForm() {
  const form = $("reset-form");
  renderReset();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await submit(form, () => admin("/_mock/reset", { method: "POST" }));
    if (answer) {
      form.querySelector("[data-result]").textContent = `done at ${new Date().toLocaleTimeString()}`;
      show();
    }
  });
}
