// The operations console: sign-in, the viewer's role, and one page per hash route.
import { ApiError, forgetKey, gql, rememberKey, storedKey } from "/static/console/api.js";
import { h, toast } from "/static/console/ui.js";
import { jobsPage } from "/static/console/pages/jobs.js";
import { runsPage, runPage } from "/static/console/pages/runs.js";
import { errorsPage } from "/static/console/pages/errors.js";
import { couplingsPage } from "/static/console/pages/couplings.js";
import { mappingsPage } from "/static/console/pages/mappings.js";
import { logPage } from "/static/console/pages/log.js";
import { workflowsPage } from "/static/console/pages/workflows.js";

const RANKS = { READER: 0, INTEGRATOR: 1, ADMIN: 2 };
const ROUTES = [
  [/^#\/jobs(?:\?.*)?$/, jobsPage],
  [/^#\/runs\/([^/]+)$/, runPage],
  [/^#\/runs(?:\?.*)?$/, runsPage],
  [/^#\/errors(?:\?.*)?$/, errorsPage],
  [/^#\/couplings(?:\?.*)?$/, couplingsPage],
  [/^#\/mappings(?:\?.*)?$/, mappingsPage],
  [/^#\/log(?:\?.*)?$/, logPage],
  [/^#\/workflows(?:\?.*)?$/, workflowsPage],
];

let viewer = null;
let leave = null; // stops the current page's live updates
let routing = 0; // the latest navigation; an older one still loading draws nothing

// What the pages know of the person: who, and whether their role allows an action.
export const session = {
  get viewer() { return viewer; },
  can(role) { return viewer !== null && RANKS[viewer.role] >= RANKS[role]; },
};

async function signIn(key) {
  rememberKey(key);
  try {
    viewer = (await gql("query Viewer { viewer { name role } }")).viewer;
  } catch (error) {
    forgetKey();
    viewer = null;
    throw error;
  }
}

function showSignIn(message = "") {
  document.getElementById("nav").hidden = true;
  document.getElementById("who").hidden = true;
  document.getElementById("page").replaceChildren();
  const form = document.getElementById("sign-in");
  form.hidden = false;
  document.getElementById("sign-in-error").textContent = message;
  document.getElementById("key").focus();
}

function showConsole() {
  document.getElementById("sign-in").hidden = true;
  document.getElementById("nav").hidden = false;
  document.getElementById("who").hidden = false;
  document.getElementById("viewer").textContent = `${viewer.name} · ${viewer.role.toLowerCase()}`;
  for (const link of document.querySelectorAll("#nav a[data-role]")) {
    link.hidden = !session.can(link.dataset.role);
  }
  route();
}

async function route() {
  if (!viewer) return;
  if (leave) { leave(); leave = null; }
  const hash = window.location.hash || "#/jobs";
  for (const link of document.querySelectorAll("#nav a")) {
    const target = link.getAttribute("href");
    const current = hash === target || hash.startsWith(`${target}/`) || hash.startsWith(`${target}?`);
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const shown = document.getElementById("page");
  const navigation = ++routing;
  for (const [pattern, render] of ROUTES) {
    const match = hash.match(pattern);
    if (!match) continue;
    shown.replaceChildren(h("p", { class: "muted" }, "Loading…"));
    // Each page draws into a detached element, shown only if no other navigation came since.
    const page = h("div");
    try {
      const stop = await render(page, session, ...match.slice(1)) || null;
      if (navigation !== routing) {
        if (stop) stop();
        return;
      }
      shown.replaceChildren(...page.childNodes);
      leave = stop;
    } catch (error) {
      if (navigation !== routing) return;
      if (error instanceof ApiError && error.code === "UNAUTHENTICATED") {
        forgetKey();
        viewer = null;
        showSignIn("The key is no longer accepted: sign in again.");
        return;
      }
      shown.replaceChildren(h("p", { class: "error", role: "alert" }, error.message));
    }
    return;
  }
  window.location.hash = "#/jobs";
}

document.getElementById("sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  const key = document.getElementById("key").value.trim();
  try {
    await signIn(key);
    document.getElementById("key").value = "";
    showConsole();
  } catch (error) {
    showSignIn(error.code === "UNAUTHENTICATED"
      ? "This key was refused: it is unknown or revoked."
      : error.message);
  }
});

document.getElementById("sign-out").addEventListener("click", () => {
  if (leave) { leave(); leave = null; }
  forgetKey();
  viewer = null;
  showSignIn();
  toast("Signed out.");
});

window.addEventListener("hashchange", route);

(async () => {
  const key = storedKey();
  if (!key) return showSignIn();
  try {
    await signIn(key);
    showConsole();
  } catch {
    showSignIn("Sign in again.");
  }
})();
