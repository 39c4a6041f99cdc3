// Sync runs, newest first, filtered by mapping and status; running ones show live progress.
// A run opens to its details and the errors it left.
import { gql, live, mutate, PAGE_SIZE } from "/static/console/api.js";
import { cell, h, Pager, select, status, table, when } from "/static/console/ui.js";

const RUN = `id mapping mappings direction trigger actor status progress createdAt startedAt endedAt
  inserted modified deleted unchanged skipped failed coupled uncoupled message
  checkpoint { stage stages mapping side pages }`;
const LIST = `query Runs($mapping: String, $status: RunStatus, $first: Int, $after: String) {
  syncRuns(mapping: $mapping, status: $status, first: $first, after: $after) {
    edges { node { ${RUN} } } pageInfo { hasNextPage endCursor } } }`;
const MAPPINGS = `query MappingNames { tableMappings { name } }`;
const ONE = `query Run($id: ID!) { syncRun(id: $id) { ${RUN} } }`;
const ERRORS = `query RunErrors($mapping: String, $first: Int) {
  syncErrors(mapping: $mapping, first: $first) { edges { node { id erpId crmId message code attempts runId } } } }`;
const LIVE_ALL = `subscription Runs($mapping: String) { syncRunsUpdated(mapping: $mapping) { ${RUN} } }`;
const LIVE_ONE = `subscription Run($id: ID!) { syncRunUpdated(id: $id) { ${RUN} } }`;
const FULL = `mutation Full($input: RunFullSynchronizationInput!) {
  runFullSynchronization(input: $input) { syncRun { id status } userErrors { code message field } } }`;
const STATUSES = ["", "QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"];

export function progress(run) {
  const percent = Math.round((run.progress || 0) * 100);
  return h("span", { class: "progress" },
    h("progress", { max: 100, value: percent, "aria-label": `Progress of run ${run.id}`,
      "data-run": run.id }), ` ${percent}%`);
}

function stage(checkpoint) {
  if (!checkpoint) return "—";
  const where = checkpoint.mapping ? ` (${checkpoint.mapping}, ${checkpoint.side})` : "";
  return `${Math.min(checkpoint.stage + 1, checkpoint.stages)} of ${checkpoint.stages}${where}`;
}

function counters(run) {
  return `${run.inserted} new · ${run.modified} modified · ${run.unchanged} unchanged · ${run.failed} failed`;
}

export async function runsPage(page, session) {
  const names = (await gql(MAPPINGS)).tableMappings.map((m) => m.name);
  const filters = { mapping: "", status: "" };
  const rows = new Map();
  let pageInfo = { hasNextPage: false };
  const body = h("div");
  let stopLive = null;

  const render = (run) => h("tr", { "data-run": run.id },
    h("td", {}, h("a", { href: `#/runs/${run.id}` }, when(run.createdAt))),
    cell(run.mapping), cell(run.trigger), h("td", {}, status(run.status)),
    h("td", {}, progress(run)), cell(counters(run)), cell(when(run.endedAt)), cell(run.actor));
  const columns = ["Queued", "Mapping", "Trigger", "Status", "Progress", "Records", "Ended", "By"]
    .map((label) => ({ label }));
  const draw = () => body.replaceChildren(
    table(columns, [...rows.values()], render, "No runs match."), pager.render(pageInfo));

  const pager = new Pager(async (after) => {
    const data = await gql(LIST, {
      mapping: filters.mapping || null, status: filters.status || null, first: PAGE_SIZE, after,
    });
    rows.clear();
    for (const edge of data.syncRuns.edges) rows.set(edge.node.id, edge.node);
    pageInfo = data.syncRuns.pageInfo;
    draw();
  });

  const listen = () => {
    if (stopLive) stopLive();
    stopLive = live(LIVE_ALL, { mapping: filters.mapping || null }, (data) => {
      const run = data.syncRunsUpdated;
      if (rows.has(run.id)) rows.set(run.id, run);
      else if (pager.page === 1 && (!filters.status || filters.status === run.status)) {
        rows.set(run.id, run);
        const newest = [...rows.values()].sort((a, b) => (a.id < b.id ? 1 : -1)).slice(0, PAGE_SIZE);
        rows.clear();
        for (const item of newest) rows.set(item.id, item);
      }
      draw();
    }, () => pager.current());
  };

  const form = h("form", { class: "filters", onchange: () => {
    filters.mapping = form.elements.mapping.value;
    filters.status = form.elements.status.value;
    pager.reset();
    listen();
  }, onsubmit: (e) => e.preventDefault() },
  select("mapping", "Mapping", [["", "All mappings"], ...names.map((n) => [n, n])], ""),
  select("status", "Status", STATUSES.map((s) => [s, s || "Any status"]), ""),
  session.can("INTEGRATOR")
    ? h("button", { type: "button", onclick: async (event) => {
      event.currentTarget.disabled = true;
      try {
        const mapping = form.elements.mapping.value;
        const payload = await mutate(FULL, { input: { mappings: mapping ? [mapping] : null } },
          "runFullSynchronization");
        window.location.hash = `#/runs/${payload.syncRun.id}`;
      } catch (error) {
        event.target.disabled = false;
        body.prepend(h("p", { class: "error", role: "alert" }, error.message));
      }
    } }, "Run full synchronization")
    : null);

  await pager.reset();
  page.replaceChildren(h("h2", {}, "Sync runs"), form, body);
  listen();
  return () => stopLive && stopLive();
}

export async function runPage(page, session, id) {
  let run = (await gql(ONE, { id })).syncRun;
  if (!run) {
    page.replaceChildren(h("h2", {}, "Sync run"), h("p", { class: "error" }, "No such run."));
    return null;
  }
  const summary = h("div");
  const errors = h("div");
  const draw = () => {
    const figures = ["inserted", "modified", "deleted", "unchanged", "skipped", "failed", "coupled", "uncoupled"];
    summary.replaceChildren(
      h("p", {}, status(run.status), " ", progress(run), h("span", { class: "live" }, "")),
      h("div", { class: "cards" }, figures.map((name) =>
        h("div", { class: "card" }, name, h("b", { "data-counter": name }, run[name])))),
      table([{ label: "Mappings" }, { label: "Direction" }, { label: "Trigger" }, { label: "By" },
        { label: "Started" }, { label: "Ended" }, { label: "Stage" }, { label: "Message" }], [run], (r) =>
        h("tr", {}, cell(r.mappings.join(", ")), cell(r.direction), cell(r.trigger), cell(r.actor),
          cell(when(r.startedAt)), cell(when(r.endedAt)),
          cell(stage(r.checkpoint)),
          cell(r.message))));
  };
  const loadErrors = async () => {
    const found = (await gql(ERRORS, { mapping: run.mappings.length === 1 ? run.mapping : null, first: 50 }))
      .syncErrors.edges.map((e) => e.node).filter((e) => e.runId === run.id);
    errors.replaceChildren(table(
      [{ label: "ERP id" }, { label: "CRM id" }, { label: "Code" }, { label: "Message" }, { label: "Attempts", num: true }],
      found, (e) => h("tr", {}, cell(e.erpId), cell(e.crmId), cell(e.code), cell(e.message), cell(e.attempts, true)),
      "No errors left by this run."));
  };
  draw();
  await loadErrors();
  page.replaceChildren(
    h("p", {}, h("a", { href: "#/runs" }, "← Sync runs")),
    h("h2", {}, `Run of ${run.mapping}`), summary,
    h("h3", {}, "Errors of this run"), errors,
    h("p", {}, h("a", { href: "#/errors" }, "All sync errors →")));
  const finished = () => ["SUCCEEDED", "FAILED", "CANCELLED"].includes(run.status);
  if (finished()) return null;
  let stop = null;
  stop = live(LIVE_ONE, { id: run.id }, async (data) => {
    run = data.syncRunUpdated;
    draw();
    if (finished()) await loadErrors();
  }, async () => {
    run = (await gql(ONE, { id })).syncRun;
    draw();
    if (finished()) { await loadErrors(); if (stop) stop(); }
  }, 2000);
  return () => stop();
}
