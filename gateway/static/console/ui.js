// Small DOM helpers: elements, tables, pagers, messages and formats.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function status(value) {
  return h("span", { class: `status ${value || ""}` }, value || "—");
}

export function when(value) {
  if (!value) return "—";
  const date = new Date(value);
  return date.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}

export function table(columns, rows, render, empty = "Nothing to show.") {
  const head = h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : "" }, c.label)));
  const body = rows.length
    ? rows.map(render)
    : [h("tr", {}, h("td", { colspan: columns.length, class: "muted" }, empty))];
  return h("table", {}, h("thead", {}, head), h("tbody", {}, body));
}

export function cell(value, numeric = false) {
  return h("td", { class: numeric ? "num" : "" }, value ?? "—");
}

// A pager over a Relay connection: remembers the cursors of the pages before.
export class Pager {
  constructor(load) {
    this.load = load; // (after) => Promise
    this.cursors = [null];
  }
  get page() { return this.cursors.length; }
  reset() { this.cursors = [null]; return this.load(null); }
  current() { return this.load(this.cursors[this.cursors.length - 1]); }
  next(endCursor) { this.cursors.push(endCursor); return this.current(); }
  previous() { if (this.cursors.length > 1) this.cursors.pop(); return this.current(); }
  render(pageInfo) {
    return h("nav", { class: "pager", "aria-label": "Pages" },
      h("button", { type: "button", class: "secondary", disabled: this.page === 1,
        onclick: () => this.previous() }, "← Newer"),
      h("span", {}, `Page ${this.page}`),
      h("button", { type: "button", class: "secondary", disabled: !pageInfo.hasNextPage,
        onclick: () => this.next(pageInfo.endCursor) }, "Older →"));
  }
}

export function toast(message, bad = false) {
  const box = document.getElementById("toast");
  const item = h("div", { class: bad ? "bad" : "" }, message);
  box.append(item);
  setTimeout(() => item.remove(), bad ? 8000 : 4000);
}

// Run an action from a button: disabled while it runs, its outcome said in a toast.
export async function act(button, action, done) {
  button.disabled = true;
  try {
    const message = await action();
    if (message) toast(message);
    if (done) await done();
  } catch (error) {
    toast(error.message, true);
  } finally {
    button.disabled = false;
  }
}

export function select(name, label, options, value) {
  return h("label", {}, label,
    h("select", { name }, options.map(([v, text]) =>
      h("option", { value: v, selected: v === value }, text))));
}

// The parameters after "?" in the location's hash (#/couplings?search=...).
export function hashParams() {
  const hash = window.location.hash;
  const index = hash.indexOf("?");
  return new URLSearchParams(index >= 0 ? hash.slice(index + 1) : "");
}
