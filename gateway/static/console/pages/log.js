// The integration log: every mutation call and every write to either system, newest first.
import { gql, PAGE_SIZE } from "/static/console/api.js";
import { cell, h, Pager, table, when } from "/static/console/ui.js";

const LIST = `query Log($search: String, $first: Int, $after: String) {
  integrationLog(search: $search, first: $first, after: $after) {
    edges { node { id at kind actor operation durationMs
      target { system entity id } result { status codes message } } }
    pageInfo { hasNextPage endCursor } } }`;

export async function logPage(page, session) {
  if (!session.can("INTEGRATOR")) {
    page.replaceChildren(h("h2", {}, "Integration log"), h("p", {}, "The integration log is for integrators and administrators."));
    return null;
  }
  let search = "";
  const body = h("div");
  const pager = new Pager(async (after) => {
    const data = (await gql(LIST, { search: search || null, first: PAGE_SIZE, after })).integrationLog;
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
    search = form.elements.search.value.trim();
    pager.reset();
  } }, h("label", {}, "Operation, actor or record id", h("input", { name: "search", type: "search" })),
  h("button", { type: "submit" }, "Search"));
  await pager.reset();
  page.replaceChildren(h("h2", {}, "Integration log"), form, body);
  return null;
}
