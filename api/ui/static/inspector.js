// The inspector's shell: the API key form, hash routes (#/view/id?params) and error display.

import { ApiError, apiKey, h } from "./dom.js";
import { graph, job, jobs, stats } from "./views-ops.js";
import { scopes, search, unit, units } from "./views-memory.js";

const VIEWS = { scopes, units, unit, search, graph, jobs, job, stats };
const TITLES = { unit: "units", job: "jobs" };
const main = document.getElementById("view");
let rendering = 0;
const keyInput = document.getElementById("api-key");
const keyStatus = document.getElementById("key-status");

function parse() {
  const [path, params] = location.hash.replace(/^#\/?/, "").split("?");
  const [name, ...rest] = path.split("/");
  return { name: name || "scopes", id: decodeURIComponent(rest.join("/")), params: new URLSearchParams(params || "") };
}

function showKeyState() {
  keyStatus.textContent = apiKey.get() ? "Key set for this tab." : "No key set.";
}

async function render() {
  const route = parse();
  for (const link of document.querySelectorAll("nav a")) {
    const current = link.dataset.view === (TITLES[route.name] || route.name);
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const view = VIEWS[route.name];
  const mine = ++rendering;
  main.replaceChildren(h("p", { role: "status" }, "Loading…"));
  document.title = `${route.name} · memsvc inspector`;
  // Views draw off-page; only the latest navigation's view is shown (a slow earlier one that
  // finishes later is dropped).
  const target = h("div");
  try {
    if (!view) throw new Error(`There is no view called “${route.name}”.`);
    await view(target, route);
  } catch (error) {
    target.replaceChildren(h("h1", {}, "Something went wrong"), errorMessage(error));
  }
  if (mine === rendering) main.replaceChildren(...target.childNodes);
}

function errorMessage(error) {
  if (error instanceof ApiError && error.status === 401) {
    keyInput.focus();
    return h("p", { class: "error", role: "alert" }, `This server needs an API key: enter it above. (${error.message})`);
  }
  const status = error instanceof ApiError ? `The API answered ${error.status}: ` : "";
  return h("p", { class: "error", role: "alert" }, status + error.message);
}

document.getElementById("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const value = keyInput.value.trim();
  if (value) apiKey.set(value);
  keyInput.value = "";
  showKeyState();
  render();
});
document.getElementById("forget-key").addEventListener("click", () => {
  apiKey.clear();
  showKeyState();
  render();
});
// Views that submit forms rerender through the hash; actions inside a view report errors here.
window.addEventListener("unhandledrejection", (event) => {
  main.append(errorMessage(event.reason));
});
window.addEventListener("hashchange", render);
showKeyState();
render();
