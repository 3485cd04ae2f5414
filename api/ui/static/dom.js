// DOM and API helpers shared by the views. Text always goes in as text nodes (never as HTML),
// so memory content cannot inject markup.

const KEY = "memsvc.apiKey";
const base = document.body.dataset.base || "";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export const apiKey = {
  get: () => sessionStorage.getItem(KEY),
  set: (value) => sessionStorage.setItem(KEY, value),
  clear: () => sessionStorage.removeItem(KEY),
};

// Call the REST API with the key of this tab; errors carry the API's own message.
export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  const key = apiKey.get();
  if (key) headers.Authorization = "Bearer " + key;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(response.status, (data && data.error && data.error.message) || response.statusText);
  }
  return data;
}

export function query(params) {
  const out = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) if (v !== undefined && v !== null && v !== "") out.append(name, v);
  }
  const text = out.toString();
  return text ? "?" + text : "";
}

// h("a", {href: "#/x"}, "text", child, ...): build an element.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else el.setAttribute(name, value === true ? "" : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

const SVG = "http://www.w3.org/2000/svg";
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== undefined && value !== null) el.setAttribute(name, value);
  }
  append(el, children);
  return el;
}

export function table(caption, headers, rows) {
  return h(
    "table",
    {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, headers.map((text) => h("th", { scope: "col" }, text)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell) => h("td", {}, cell))))),
  );
}

export function dl(pairs) {
  return h(
    "dl",
    {},
    pairs.filter(([, v]) => v !== undefined && v !== null && v !== "").flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
  );
}

export function when(value) {
  if (!value) return "—";
  return value.replace("T", " ").replace(/(\.\d+)?(Z|\+00:00)$/, " UTC");
}

export function short(text, n = 90) {
  const flat = (text || "").replace(/\s+/g, " ").trim();
  return flat.length > n ? flat.slice(0, n - 1) + "…" : flat;
}

export function unitLink(unit, n) {
  return h("a", { href: "#/unit/" + unit.id }, short(unit.content, n) || unit.id);
}

export function scopeLabel(user, agent) {
  const parts = [];
  if (user) parts.push("user " + user);
  if (agent) parts.push("agent " + agent);
  return parts.join(", ") || "no user or agent";
}

// A form whose submit turns its fields into the hash of a view (so every result has a URL).
export function filterForm(view, label, fields, values, submitText) {
  const form = h(
    "form",
    { class: "filters", "aria-label": label },
    fields.map((f) => field(f, values.get(f.name))),
    h("button", { type: "submit" }, submitText || "Apply"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const params = {};
    for (const [name, value] of new FormData(form)) if (value !== "") params[name] = value;
    location.hash = "#/" + view + query(params);
  });
  return form;
}

function field(f, value) {
  const id = "f-" + f.name;
  let input;
  if (f.options) {
    input = h(
      "select",
      { id, name: f.name },
      f.options.map(([v, text]) => h("option", { value: v, selected: (value || "") === v }, text)),
    );
  } else {
    input = h("input", { id, name: f.name, type: f.type || "text", value: value || f.value || "", placeholder: f.placeholder, min: f.min, max: f.max, required: f.required });
  }
  return h("span", { class: "field" }, h("label", { for: id }, f.label), input);
}

// Date inputs give YYYY-MM-DD; the API takes ISO times (UTC midnight).
export function dayToIso(day) {
  return day ? day + "T00:00:00Z" : undefined;
}
