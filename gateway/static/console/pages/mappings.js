// Table mappings with their fields, directions and policies; admins change the direction,
// the conflict policy and whether only coupled records synchronize.
import { gql, mutate } from "/static/console/api.js";
import { act, cell, h, select, table } from "/static/console/ui.js";

const MAPPING = `name erpEntity crmEntity direction syncOnlyCoupled dependsOn conflictPolicy
  deletionPolicy enabled description problems
  fields { erpField crmField direction constant transform lookup { mapping } }`;
const LIST = `query Mappings { tableMappings { ${MAPPING} } }`;
const UPDATE = `mutation UpdateMapping($input: UpdateTableMappingInput!) {
  updateTableMapping(input: $input) { tableMapping { ${MAPPING} } userErrors { code message field } } }`;
const DIRECTIONS = [["BIDIRECTIONAL", "Bidirectional"], ["TO_CRM", "ERP → CRM"], ["FROM_CRM", "CRM → ERP"]];
const POLICIES = [["ERP_WINS", "ERP wins"], ["CRM_WINS", "CRM wins"], ["NEWEST_WINS", "Newest wins"], ["MANUAL", "Manual"]];

function settings(mapping, admin, reload) {
  if (!admin) {
    return h("p", {}, `Direction ${mapping.direction} · conflicts: ${mapping.conflictPolicy} · `,
      mapping.syncOnlyCoupled ? "coupled records only" : "creates records for uncoupled ones",
      ` · deletions: ${mapping.deletionPolicy}`);
  }
  const form = h("form", { class: "filters", onsubmit: (e) => {
    e.preventDefault();
    act(form.querySelector("button"), async () => {
      await mutate(UPDATE, { input: {
        name: mapping.name,
        direction: form.elements.direction.value,
        conflictPolicy: form.elements.conflictPolicy.value,
        syncOnlyCoupled: form.elements.syncOnlyCoupled.checked,
      } }, "updateTableMapping");
      return `${mapping.name} saved.`;
    }, reload);
  } },
  select("direction", "Direction", DIRECTIONS, mapping.direction),
  select("conflictPolicy", "Conflict policy", POLICIES, mapping.conflictPolicy),
  h("label", {}, "Only coupled records", h("input", { type: "checkbox", name: "syncOnlyCoupled",
    checked: mapping.syncOnlyCoupled })),
  h("button", { type: "submit" }, "Save"));
  return form;
}

export async function mappingsPage(page, session) {
  const admin = session.can("ADMIN");
  const list = h("div");
  const load = async () => {
    const mappings = (await gql(LIST)).tableMappings;
    list.replaceChildren(...mappings.map((m) => h("details", { class: "mapping", "data-mapping": m.name },
      h("summary", {}, `${m.name} — ${m.erpEntity} ⇄ ${m.crmEntity} (${m.direction})`,
        m.enabled ? "" : " · disabled"),
      h("p", { class: "muted" }, m.description),
      m.dependsOn.length ? h("p", {}, `Runs after ${m.dependsOn.join(", ")}.`) : null,
      m.problems.length ? h("p", { class: "error" }, m.problems.join(" ")) : null,
      settings(m, admin, load),
      table([{ label: "ERP field" }, { label: "CRM field" }, { label: "Direction" }, { label: "Constant" },
        { label: "Transform" }, { label: "Lookup through" }], m.fields, (f) => h("tr", {},
        cell(f.erpField), cell(f.crmField), cell(f.direction), cell(f.constant), cell(f.transform),
        cell(f.lookup ? f.lookup.mapping : null))))));
  };
  await load();
  page.replaceChildren(h("h2", {}, "Integration table mappings"), list);
  return null;
}
