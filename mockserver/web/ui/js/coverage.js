// Coverage: which behaviours of the API the journal shows a client met (GET /_mock/coverage),
// as a matrix of operations by group and the catalogue with counts; a key narrows it to one client.

import { admin, el, every } from "./api.js";

const REFRESH_MS = 1500;
const GROUPS = ["success", "async", "error", "retry-after", "transport"];
let refresh = () => {};
let onlyGaps = false;

const $ = (id) => document.getElementById(id);

export function init(activeTab) {
  const filters = $("coverage-filters");
  refresh = every(REFRESH_MS, () => activeTab() === "coverage", load);
  filters.addEventListener("input", () => {
    onlyGaps = filters.elements.gaps.checked;
    refresh();
  });
  filters.addEventListener("submit", (event) => event.preventDefault());
}

export function show() {
  refresh();
}

export function tokenChanged() {
  refresh();
}

async function load() {
  const key = $("coverage-filters").elements.key.value.trim();
  render(await admin("/_mock/coverage", { query: { key } }));
}

function render(report) {
  const whose = report.key ? `key ${report.key}` : "every key";
  $("coverage-headline").textContent = `${report.met} of ${report.total} behaviours met (${report.percent}%), profile ${report.profile}, ${whose}`;
  $("coverage-bar").style.width = `${report.percent}%`;
  const operations = [...new Set(report.behaviours.map((b) => b.operation))];
  $("coverage-matrix").tBodies[0].replaceChildren(...operations.map((name) => matrixRow(name, report.behaviours)));
  const shown = report.behaviours.filter((b) => !onlyGaps || b.count === 0);
  $("coverage-table").tBodies[0].replaceChildren(...shown.map(behaviourRow));
}

function matrixRow(operation, behaviours) {
  const cells = GROUPS.map((group) => {
    const cell = behaviours.filter((b) => b.operation === operation && b.group === group);
    if (!cell.length) return el("td", { class: "num muted" }, "–");
    const met = cell.filter((b) => b.count > 0).length;
    const level = met === cell.length ? "full" : met ? "part" : "none";
    return el("td", { class: `num cov-${level}`, "data-group": group }, `${met}/${cell.length}`);
  });
  return el("tr", { "data-operation": operation }, el("th", {}, operation), ...cells);
}

function behaviourRow(behaviour) {
  const met = behaviour.count > 0;
  return el(
    "tr",
    { class: met ? "cov-met" : "cov-gap", "data-behaviour": behaviour.id },
    el("td", {}, behaviour.operation),
    el("td", {}, behaviour.title),
    el("td", {}, behaviour.group),
    el("td", { class: "num" }, behaviour.count),
    el("td", {}, met ? "" : el("code", {}, behaviour.hint)),
  );
}
