// The dashboard's entry point: tabs (kept in the URL's #fragment, so a tab can be linked to),
// the admin-token banner, and each tab's module.

import { onGuard, saveAdminToken, spec } from "./api.js";
import * as coverage from "./coverage.js";
import * as jobs from "./jobs.js";
import * as playground from "./playground.js";
import * as requests from "./requests.js";
import * as stage from "./stage.js";

const TABS = { playground, requests, jobs, stage, coverage, reference: { init() {}, show: showReference } };
let current = null;

export function activeTab() {
  return current;
}

function showTab(name) {
  if (!(name in TABS)) name = "playground";
  current = name;
  for (const section of document.querySelectorAll("section.tab")) section.hidden = section.id !== `tab-${name}`;
  for (const link of document.querySelectorAll("[data-tab]")) link.setAttribute("aria-selected", link.dataset.tab === name);
  TABS[name].show();
}

function showReference() {
  // Swagger UI is 1.7 MB: load it only when someone opens the tab.
  const frame = document.getElementById("reference-frame");
  if (!frame.src) frame.src = frame.dataset.src;
}

function setUpGuard() {
  const form = document.getElementById("token-form");
  const input = document.getElementById("token-input");
  onGuard((message) => {
    if (message === null) {
      form.hidden = true;
      return;
    }
    // Only a token helps with a token error; a loopback-only mock needs a local browser instead.
    // admin_guard names the token error "authorization: …" and the loopback one "client: …".
    const wantsToken = message.startsWith("authorization:");
    const hint = wantsToken ? " This mock was started with --admin-token: enter it once for this tab." : "";
    document.getElementById("token-message").textContent = `Admin API: ${message}.${hint}`;
    document.getElementById("token-entry").hidden = !wantsToken;
    form.hidden = false;
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    saveAdminToken(input.value.trim());
    input.value = "";
    form.hidden = true;
    for (const tab of Object.values(TABS)) if (tab.tokenChanged) tab.tokenChanged();
  });
}

async function showSpecInfo() {
  const doc = await spec();
  document.getElementById("spec-info").textContent = `${doc.info.title} ${doc.info.version}`;
}

setUpGuard();
for (const tab of Object.values(TABS)) tab.init(activeTab);
window.addEventListener("hashchange", () => showTab(location.hash.slice(1)));
showTab(location.hash.slice(1));
showSpecInfo();
