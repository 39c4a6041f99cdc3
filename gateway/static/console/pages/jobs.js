// Job queue entries: status, hold, interval, last and next run; admins put on hold, resume,
// change the interval and run now.
import { gql, live, mutate } from "/static/console/api.js";
import { act, cell, h, status, table, when } from "/static/console/ui.js";

const ENTRY = `mapping status onHold minutesBetweenRuns inactivityTimeoutMinutes lastRunAt nextRunAt
  message lastRun { id status progress }`;
const LIST = `query JobQueue { jobQueueEntries { ${ENTRY} } }`;
const UPDATE = `mutation UpdateEntry($input: UpdateJobQueueEntryInput!) {
  updateJobQueueEntry(input: $input) { jobQueueEntry { ${ENTRY} } userErrors { code message field } } }`;
const LIVE = `subscription Entries { jobQueueEntryUpdated { ${ENTRY} } }`;

export async function jobsPage(page, session) {
  const admin = session.can("ADMIN");
  const rows = new Map();
  const body = h("div");

  const change = (mapping, input, said) => async () => {
    await mutate(UPDATE, { input: { mapping, ...input } }, "updateJobQueueEntry");
    await load();
    return said;
  };

  const render = (entry) => {
    const interval = h("input", { type: "number", min: 1, max: 10080, value: entry.minutesBetweenRuns,
      "aria-label": `Minutes between runs of ${entry.mapping}`, style: "width: 6em" });
    const actions = admin
      ? h("div", { class: "actions" },
        entry.onHold
          ? h("button", { type: "button", onclick: (e) => act(e.currentTarget,
            change(entry.mapping, { onHold: false }, `${entry.mapping} resumed: it runs now.`)) }, "Resume")
          : h("button", { type: "button", class: "secondary", onclick: (e) => act(e.currentTarget,
            change(entry.mapping, { onHold: true }, `${entry.mapping} put on hold.`)) }, "Put on hold"),
        h("button", { type: "button", class: "secondary", disabled: entry.onHold,
          onclick: (e) => act(e.currentTarget,
            change(entry.mapping, { onHold: false }, `${entry.mapping} runs now.`)) }, "Run now"))
      : null;
    return h("tr", { "data-mapping": entry.mapping },
      h("th", { scope: "row" }, entry.mapping),
      h("td", {}, status(entry.status)),
      cell(entry.onHold ? "yes" : "no"),
      h("td", { class: "num" }, admin
        ? h("span", { class: "actions" }, interval,
          h("button", { type: "button", class: "secondary", onclick: (e) => act(e.currentTarget,
            change(entry.mapping, { minutesBetweenRuns: Number(interval.value) },
              `${entry.mapping} runs every ${interval.value} minutes.`)) }, "Save"))
        : entry.minutesBetweenRuns),
      cell(entry.inactivityTimeoutMinutes ?? "never", true),
      h("td", {}, entry.lastRun
        ? h("a", { href: `#/runs/${entry.lastRun.id}` }, when(entry.lastRunAt), " ", status(entry.lastRun.status))
        : when(entry.lastRunAt)),
      cell(when(entry.nextRunAt)),
      cell(entry.message),
      admin ? h("td", {}, actions) : null);
  };

  const columns = [
    { label: "Mapping" }, { label: "Status" }, { label: "On hold" },
    { label: "Minutes between runs", num: true }, { label: "Inactivity timeout (min)", num: true },
    { label: "Last run" }, { label: "Next run" }, { label: "Message" },
    ...(admin ? [{ label: "Actions" }] : []),
  ];
  const draw = () => body.replaceChildren(table(columns, [...rows.values()], render, "No job queue entries."));

  async function load() {
    const entries = (await gql(LIST)).jobQueueEntries;
    rows.clear();
    for (const entry of entries) rows.set(entry.mapping, entry);
    draw();
  }

  await load();
  page.replaceChildren(
    h("h2", {}, "Job queue entries"),
    h("p", { class: "muted" }, "One entry per table mapping: it synchronizes the changes of both sides every few minutes."),
    body);
  return live(LIVE, {}, (data) => {
    const entry = data.jobQueueEntryUpdated;
    rows.set(entry.mapping, entry);
    draw();
  }, load);
}
