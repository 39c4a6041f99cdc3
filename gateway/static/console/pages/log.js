// The integration log: every mutation call and every write to either system, newest first,
// narrowed by operation, mapping, actor or one record's history.
import { gql, PAGE_SIZE } from "/static/console/api.js";
import { cell, h, hashParams, Pager, table, when } from "/static/console/ui.js";

const LIST = `query Log($operation: String, $mapping: String, $actor: String, $recordId: ID,
  $first: Int, $after: String) {
  integrationLog(operation: $operation, mapping: $mapping, actor: $actor, recordId: $recordId,
    first: $first, after: $after) {
    edges { node { id at kind actor operation durationMs
      target { system entity id } result { status codes message } } }
    pageInfo { hasNextPage endCursor } } }`;
const FILTERS = [
  ["operation", "Operation (e.g. synchronizeNow)"],
  ["mapping", "Mapping"],
  ["actor", "Actor (key or job)"],
  ["recordId", "Record id (its history)"],
];

export async function logPage(page, session) {
  if (!session.can("INTEGRATOR")) {
    page.replaceChildren(h("h2", {}, "Integration log"), h("p", {}, "The integration log is for integrators and administrators."));
    return null;
  }
  const params = hashParams();
  const filters = Object.fromEntries(FILTERS.map(([name]) => [name, params.get(name) || ""]));
  const body = h("div");
  const pager = new Pager(async (after) => {
    const variables = Object.fromEntries(Object.entries(filters).map(([k, v]) => [k, v || null]));
    const data = (await gql(LIST, { ...variables, first: PAGE_SIZE, after })).integrationLog;
    body.replaceChildren(table(
      ["When", "Kind", "Operation", "By", "Target", "Result", "Duration (ms)"].map((label) => ({ label, num: label.startsWith("Duration") })),
      data.edges.map((e) => e.node), (entry) => h("tr", {},
        cell(when(entry.at)), cell(entry.kind), cell(entry.operation), cell(entry.actor),
        cell(entry.target ? `${entry.target.system || ""} ${entry.target.entity || ""} ${entry.target.id || ""}`.trim() : null),
        cell([entry.result.status, ...entry.result.codes].join(" ") + (entry.result.message ? ` — ${entry.result.message}` : "")),
        cell(entry.durationMs != null ? Math.round(entry.durationMs) : null, true)),
      "Nothing logged matches."), pager.render(data.pageInfo));
  });
  const form = h("form", { class: "filters", onsubmit: (e) => {
    e.preventDefault();
    for (const [name] of FILTERS) filters[name] = form.elements[name].value.trim();
    pager.reset();
  } },
  FILTERS.map(([name, label]) => h("label", {}, label, h("input", { name, type: "search", value: filters[name] }))),
  h("button", { type: "submit" }, "Search"));
  await pager.reset();
  page.replaceChildren(h("h2", {}, "Integration log"), form, body);
  return null;
}
