// Jobs: the live asynchronous jobs (GET /_mock/jobs), with the admin API's complete and fail.

import { admin, el, every, showErrors } from "./api.js";

const REFRESH_MS = 700;
let refresh = () => {};

const $ = (id) => document.getElementById(id);

export function init(activeTab) {
  refresh = every(REFRESH_MS, () => activeTab() === "jobs", load);
  const filters = $("jobs-filters");
  filters.addEventListener("input", () => refresh());
  filters.addEventListener("submit", (event) => event.preventDefault());
}

export function show() {
  refresh();
}

export function tokenChanged() {
  refresh();
}

async function load() {
  const key = $("jobs-filters").elements.key.value.trim();
  const { jobs } = await admin("/_mock/jobs", { query: { key } });
  $("jobs-count").textContent = key ? `${jobs.length} of this key` : `${jobs.length} live`;
  $("jobs-empty").hidden = jobs.length > 0 || Boolean(key);
  $("jobs-table").tBodies[0].replaceChildren(...jobs.reverse().map(row));
}

function row(job) {
  const plan = job.plan;
  const polls = plan.pending_polls === null ? "never finishes" : `${plan.pending_polls} pending poll(s)`;
  const finished = job.status === "ready" || job.status === "failing";
  return el(
    "tr",
    { "data-job-id": job.id },
    el("td", { class: "mono", title: job.id }, `${job.id.slice(0, 16)}…`),
    el("td", {}, job.operation),
    el("td", {}, job.key),
    el("td", {}, el("span", { class: `state ${job.status}` }, job.status)),
    el("td", { class: "num" }, job.polls),
    el("td", {}, `${polls}, then ${plan.outcome}`),
    el("td", {}, new Date(job.expires_at * 1000).toLocaleTimeString()),
    el(
      "td",
      {},
      el("button", { type: "button", class: "small", disabled: finished, onclick: () => act(job.id, "complete") }, "Complete"),
      " ",
      el("button", { type: "button", class: "small danger", disabled: job.status === "failing", onclick: () => act(job.id, "fail") }, "Fail"),
    ),
  );
}

async function act(id, action) {
  try {
    await admin(`/_mock/jobs/${encodeURIComponent(id)}/${action}`, { method: "POST" });
    showErrors($("jobs-errors"), null);
  } catch (error) {
    showErrors($("jobs-errors"), error);
  }
  refresh();
}
