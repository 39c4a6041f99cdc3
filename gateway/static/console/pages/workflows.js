// Workflow instances of the cross-system lifecycles, newest first, by operation and status.
import { gql, PAGE_SIZE } from "/static/console/api.js";
import { cell, h, Pager, select, status, table, when } from "/static/console/ui.js";

const LIST = `query Workflows($operation: String, $status: WorkflowStatus, $first: Int, $after: String) {
  workflowInstances(operation: $operation, status: $status, first: $first, after: $after) {
    edges { node { id operation key actor status message code createdAt endedAt steps { name } } }
    pageInfo { hasNextPage endCursor } } }`;

export async function workflowsPage(page) {
  const filters = { operation: "", status: "" };
  const body = h("div");
  const pager = new Pager(async (after) => {
    const data = (await gql(LIST, {
      operation: filters.operation || null, status: filters.status || null, first: PAGE_SIZE, after,
    })).workflowInstances;
    body.replaceChildren(table(
      ["Started", "Operation", "Key", "By", "Status", "Steps", "Ended", "Message"].map((label) => ({ label })),
      data.edges.map((e) => e.node), (w) => h("tr", {},
        cell(when(w.createdAt)), cell(w.operation), h("td", { class: "mono" }, w.key), cell(w.actor),
        h("td", {}, status(w.status)), cell(w.steps.map((s) => s.name).join(" → ")),
        cell(when(w.endedAt)), cell(w.message)),
      "No workflow instances match."), pager.render(data.pageInfo));
  });
  const form = h("form", { class: "filters", onsubmit: (e) => {
    e.preventDefault();
    filters.operation = form.elements.operation.value.trim();
    filters.status = form.elements.status.value;
    pager.reset();
  } },
  h("label", {}, "Operation (e.g. submitQuote)", h("input", { name: "operation", type: "search" })),
  select("status", "Status", [["", "Any status"], ["RUNNING", "Running"], ["SUCCEEDED", "Succeeded"], ["FAILED", "Failed"]], ""),
  h("button", { type: "submit" }, "Search"));
  await pager.reset();
  page.replaceChildren(h("h2", {}, "Workflow instances"), form, body);
  return null;
}
