// Sync errors per mapping: both records, message, attempts; integrators retry one or every
// error of a mapping, and open the records' couplings.
import { gql, live, mutate, PAGE_SIZE } from "/static/console/api.js";
import { act, cell, h, hashParams, Pager, select, table, when } from "/static/console/ui.js";

const ERROR = "id mapping erpId crmId message code direction attempts createdAt updatedAt runId";
const LIST = `query Errors($mapping: String, $first: Int, $after: String) {
  syncErrors(mapping: $mapping, first: $first, after: $after) {
    edges { node { ${ERROR} } } pageInfo { hasNextPage endCursor } } }`;
const MAPPINGS = `query MappingNames { tableMappings { name } }`;
const RETRY = `mutation Retry($input: RetrySyncErrorInput!) {
  retrySyncError(input: $input) { syncRun { id status } userErrors { code message field } } }`;
const LIVE = `subscription NewErrors($mapping: String) { syncErrorAdded(mapping: $mapping) { id } }`;
// Retries sent in one request (aliases stay under the API's alias limit).
const RETRY_BATCH = 20;

// Retry every error of `mapping`, a page at a time: one request of aliased retries per page.
// Errors that must wait for a person (a conflict to settle) stay, and are counted.
async function retryAll(mapping) {
  let after = null;
  let retried = 0;
  let left = 0;
  for (;;) {
    const page = (await gql(LIST, { mapping, first: RETRY_BATCH, after })).syncErrors;
    const ids = page.edges.map((edge) => edge.node.id);
    if (ids.length) {
      const fields = ids.map((id, i) =>
        `e${i}: retrySyncError(input: {id: $id${i}}) { userErrors { code message } }`).join("\n");
      const declared = ids.map((_, i) => `$id${i}: ID!`).join(", ");
      const variables = Object.fromEntries(ids.map((id, i) => [`id${i}`, id]));
      const data = await gql(`mutation RetryAll(${declared}) { ${fields} }`, variables);
      for (const result of Object.values(data)) {
        if (result.userErrors.length) left += 1;
        else retried += 1;
      }
    }
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  return `${mapping}: ${retried} retried${left ? `, ${left} still need a decision` : ""}.`;
}

export async function errorsPage(page, session) {
  const names = (await gql(MAPPINGS)).tableMappings.map((m) => m.name);
  const integrator = session.can("INTEGRATOR");
  const filters = { mapping: hashParams().get("mapping") || "" };
  const body = h("div");
  const notice = h("p", { class: "muted", role: "status" });

  const render = (error) => h("tr", { "data-error": error.id },
    cell(when(error.updatedAt)), cell(error.mapping),
    h("td", { class: "mono" }, error.erpId ?? "—"), h("td", { class: "mono" }, error.crmId ?? "—"),
    cell(error.code), cell(error.message), cell(error.attempts, true),
    h("td", {}, h("div", { class: "actions" },
      integrator ? h("button", { type: "button", onclick: (e) => act(e.currentTarget, async () => {
        await mutate(RETRY, { input: { id: error.id } }, "retrySyncError");
        return `Retried the ${error.mapping} record.`;
      }, () => pager.current()) }, "Retry") : null,
      h("a", { href: `#/couplings?mapping=${encodeURIComponent(error.mapping)}&search=${encodeURIComponent(error.erpId || error.crmId || "")}` }, "Couplings"))));
  const columns = ["Last failed", "Mapping", "ERP record", "CRM record", "Code", "Message", "Attempts", ""]
    .map((label) => ({ label, num: label === "Attempts" }));

  const pager = new Pager(async (after) => {
    const data = (await gql(LIST, { mapping: filters.mapping || null, first: PAGE_SIZE, after })).syncErrors;
    body.replaceChildren(table(columns, data.edges.map((e) => e.node), render, "No sync errors."),
      pager.render(data.pageInfo));
  });

  const retryAllButton = h("button", { type: "button", class: "secondary", hidden: !integrator || !filters.mapping,
    onclick: (e) => act(e.currentTarget, () => retryAll(filters.mapping), () => pager.reset()) },
  "Retry all of this mapping");
  const form = h("form", { class: "filters", onsubmit: (e) => e.preventDefault(), onchange: () => {
    filters.mapping = form.elements.mapping.value;
    retryAllButton.hidden = !integrator || !filters.mapping;
    pager.reset();
  } }, select("mapping", "Mapping", [["", "All mappings"], ...names.map((n) => [n, n])], filters.mapping),
  retryAllButton);

  await pager.reset();
  page.replaceChildren(h("h2", {}, "Sync errors"), form, notice, body);
  return live(LIVE, { mapping: filters.mapping || null }, () => {
    notice.textContent = "New errors arrived.";
    if (pager.page === 1) pager.current();
  }, null);
}


