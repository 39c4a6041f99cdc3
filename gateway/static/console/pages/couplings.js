// Couplings: search by mapping and a record's id or key; integrators synchronize a pair now in
// a chosen direction or uncouple it. Records without a partner: search customers or accounts
// by name and create the other side's record, coupled.
import { gql, mutate, PAGE_SIZE } from "/static/console/api.js";
import { act, cell, h, hashParams, Pager, select, status, table, when } from "/static/console/ui.js";

const COUPLING = `id mapping erpId crmId erpKey crmKey state lastSyncedAt lastDirection errorCount lastError`;
const LIST = `query Couplings($mapping: String, $state: CouplingState, $search: String, $first: Int, $after: String) {
  couplings(mapping: $mapping, state: $state, search: $search, first: $first, after: $after) {
    edges { node { ${COUPLING} } } pageInfo { hasNextPage endCursor } } }`;
const MAPPINGS = `query MappingNames { tableMappings { name } }`;
const SYNC = `mutation SyncNow($input: SynchronizeNowInput!) {
  synchronizeNow(input: $input) { syncRun { id status modified } changedFields userErrors { code message field } } }`;
const UNCOUPLE = `mutation Uncouple($input: UncoupleInput!) {
  uncouple(input: $input) { userErrors { code message field } } }`;
const ACCOUNTS = `query Uncoupled($search: String, $first: Int, $after: String) {
  accounts(search: $search, coupled: false, first: $first, after: $after) {
    edges { node { crmId name accountNumber city } } pageInfo { hasNextPage endCursor } } }`;
const CUSTOMERS = `query UncoupledCustomers($search: String, $first: Int, $after: String) {
  customers(search: $search, coupled: false, first: $first, after: $after) {
    edges { node { erpId number name city } } pageInfo { hasNextPage endCursor } } }`;
const CREATE_CUSTOMER = `mutation CreateCustomer($input: CreateCustomerFromAccountInput!) {
  createCustomerFromAccount(input: $input) { customer { erpId number } userErrors { code message field } } }`;
const CREATE_ACCOUNT = `mutation CreateAccount($input: CreateAccountFromCustomerInput!) {
  createAccountFromCustomer(input: $input) { account { crmId name } userErrors { code message field } } }`;

export async function couplingsPage(page, session) {
  const names = (await gql(MAPPINGS)).tableMappings.map((m) => m.name);
  const integrator = session.can("INTEGRATOR");
  const params = hashParams();
  const filters = { mapping: params.get("mapping") || "", state: "", search: params.get("search") || "" };
  const body = h("div");

  const render = (c) => {
    const direction = h("select", { "aria-label": `Direction for ${c.erpKey || c.erpId}` },
      h("option", { value: "TO_CRM" }, "ERP → CRM"), h("option", { value: "FROM_CRM" }, "CRM → ERP"));
    return h("tr", { "data-coupling": c.id },
      cell(c.mapping),
      h("td", {}, c.erpKey ? h("b", {}, c.erpKey) : null, h("div", { class: "mono muted" }, c.erpId)),
      h("td", {}, c.crmKey ? h("b", {}, c.crmKey) : null, h("div", { class: "mono muted" }, c.crmId)),
      h("td", {}, status(c.state)), cell(when(c.lastSyncedAt)), cell(c.lastDirection),
      cell(c.lastError),
      integrator ? h("td", {}, h("div", { class: "actions" }, direction,
        h("button", { type: "button", onclick: (e) => act(e.currentTarget, async () => {
          const payload = await mutate(SYNC, { input: { mapping: c.mapping, erpId: c.erpId, direction: direction.value } }, "synchronizeNow");
          return `Synchronized: ${payload.changedFields.length ? payload.changedFields.join(", ") : "nothing differed"}.`;
        }, () => pager.current()) }, "Synchronize now"),
        h("button", { type: "button", class: "danger", onclick: (e) => act(e.currentTarget, async () => {
          if (!window.confirm(`Uncouple ${c.erpKey || c.erpId} from ${c.crmKey || c.crmId}?`)) return null;
          await mutate(UNCOUPLE, { input: { mapping: c.mapping, erpId: c.erpId } }, "uncouple");
          return "Uncoupled.";
        }, () => pager.current()) }, "Uncouple"))) : null);
  };
  const columns = ["Mapping", "ERP record", "CRM record", "State", "Last synchronized", "Last direction", "Last error",
    ...(integrator ? ["Actions"] : [])].map((label) => ({ label }));

  const pager = new Pager(async (after) => {
    const data = (await gql(LIST, {
      mapping: filters.mapping || null, state: filters.state || null,
      search: filters.search || null, first: PAGE_SIZE, after,
    })).couplings;
    body.replaceChildren(table(columns, data.edges.map((e) => e.node), render, "No couplings match."),
      pager.render(data.pageInfo));
  });

  const form = h("form", { class: "filters", onsubmit: (e) => {
    e.preventDefault();
    filters.mapping = form.elements.mapping.value;
    filters.state = form.elements.state.value;
    filters.search = form.elements.search.value.trim();
    pager.reset();
  } },
  select("mapping", "Mapping", [["", "All mappings"], ...names.map((n) => [n, n])], filters.mapping),
  select("state", "State", [["", "Any state"], ["COUPLED", "Coupled"], ["SKIPPED", "Skipped"], ["ERROR", "Error"]], ""),
  h("label", {}, "Record id or key", h("input", { name: "search", type: "search", value: filters.search })),
  h("button", { type: "submit" }, "Search"));

  await pager.reset();
  page.replaceChildren(h("h2", {}, "Couplings"), form, body, await uncoupledSection(integrator));
  return null;
}

// Customers and accounts without a partner, by name; create-and-couple for integrators.
async function uncoupledSection(integrator) {
  const body = h("div");
  const side = { value: "accounts" };
  let search = "";
  const renderAccount = (a) => h("tr", {}, cell(a.name), cell(a.accountNumber), cell(a.city),
    h("td", { class: "mono muted" }, a.crmId),
    integrator ? h("td", {}, h("button", { type: "button", onclick: (e) => act(e.currentTarget, async () => {
      const payload = await mutate(CREATE_CUSTOMER, { input: { crmId: a.crmId } }, "createCustomerFromAccount");
      return `Customer ${payload.customer.number} created and coupled.`;
    }, () => pager.current()) }, "Create customer and couple")) : null);
  const renderCustomer = (c) => h("tr", {}, cell(c.name), cell(c.number), cell(c.city),
    h("td", { class: "mono muted" }, c.erpId),
    integrator ? h("td", {}, h("button", { type: "button", onclick: (e) => act(e.currentTarget, async () => {
      const payload = await mutate(CREATE_ACCOUNT, { input: { erpId: c.erpId } }, "createAccountFromCustomer");
      return `Account ${payload.account.name} created and coupled.`;
    }, () => pager.current()) }, "Create account and couple")) : null);

  const pager = new Pager(async (after) => {
    const accounts = side.value === "accounts";
    const data = await gql(accounts ? ACCOUNTS : CUSTOMERS, { search: search || null, first: PAGE_SIZE, after });
    const connection = accounts ? data.accounts : data.customers;
    const columns = ["Name", accounts ? "Account number" : "Number", "City", "Id", ...(integrator ? [""] : [])]
      .map((label) => ({ label }));
    body.replaceChildren(table(columns, connection.edges.map((e) => e.node),
      accounts ? renderAccount : renderCustomer, "Every record found is coupled."),
    pager.render(connection.pageInfo));
  });
  const form = h("form", { class: "filters", onsubmit: (e) => {
    e.preventDefault();
    side.value = form.elements.side.value;
    search = form.elements.search.value.trim();
    pager.reset();
  } },
  select("side", "Records", [["accounts", "CRM accounts"], ["customers", "ERP customers"]], "accounts"),
  h("label", {}, "Name, number or e-mail", h("input", { name: "search", type: "search" })),
  h("button", { type: "submit" }, "Find uncoupled"));
  await pager.reset();
  return h("section", {}, h("h3", {}, "Records without a partner (customers ⇄ accounts)"), form, body);
}
