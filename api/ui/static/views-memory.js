// Views over memories: scopes, units, one unit, search.

import { api, dayToIso, dl, filterForm, h, query, scopeLabel, short, table, unitLink, when } from "./dom.js";
import { provenanceGraph } from "./draw.js";
import { historyEntry } from "./history.js";

export const KINDS = {
  episodic: ["turn", "session", "topic"],
  semantic: ["fact"],
  graph: ["entity", "relation"],
  procedural: ["procedure"],
};
const GRANULARITIES = ["turn", "session", "topic", "fact", "entity", "relation", "procedure"];
const STATUSES = ["active", "superseded", "archived", "deleted"];

function scopeParams(p) {
  return { user_id: p.get("user_id"), agent_id: p.get("agent_id") };
}

export async function scopes(main) {
  const list = await api("GET", "/v1/scopes");
  const rows = list.map((sc) => {
    const sp = query({ user_id: sc.user_id, agent_id: sc.agent_id });
    const g = sc.by_granularity;
    return [
      sc.user_id || "—",
      sc.agent_id || "—",
      String(sc.total),
      String(sc.active),
      String(g.turn || 0),
      String(g.session || 0),
      String(g.fact || 0),
      String(g.entity || 0),
      when(sc.last_activity),
      h(
        "span",
        { class: "links" },
        h("a", { href: "#/units" + sp, "aria-label": `units of ${scopeLabel(sc.user_id, sc.agent_id)}` }, "units"),
        h("a", { href: "#/search" + sp, "aria-label": `search ${scopeLabel(sc.user_id, sc.agent_id)}` }, "search"),
        h("a", { href: "#/graph" + sp, "aria-label": `graph of ${scopeLabel(sc.user_id, sc.agent_id)}` }, "graph"),
        h("a", { href: "#/stats" + sp, "aria-label": `stats of ${scopeLabel(sc.user_id, sc.agent_id)}` }, "stats"),
      ),
    ];
  });
  main.replaceChildren(
    h("h1", {}, "Scopes"),
    h("p", {}, list.length ? `${list.length} ${list.length === 1 ? "scope holds" : "scopes hold"} memories, most recently active first.` : "No memories yet."),
    list.length
      ? table("Users and agents with their memories", ["User", "Agent", "Memories", "Active", "Turns", "Sessions", "Facts", "Entities", "Last activity", "Open"], rows)
      : null,
  );
}

export async function units(main, route) {
  const p = route.params;
  const kind = p.get("kind") || "";
  const granularity = p.get("granularity") || "";
  const status = p.get("status") || "active";
  const granularities = granularity ? [granularity] : KINDS[kind];
  const page = await api(
    "GET",
    "/v1/memories" +
      query({
        ...scopeParams(p),
        granularities,
        statuses: status === "any" ? STATUSES : [status],
        occurred_from: dayToIso(p.get("from")),
        occurred_to: dayToIso(p.get("to")),
        cursor: p.get("cursor"),
        limit: 25,
      }),
  );
  const number = Number(p.get("page") || 1);
  const form = filterForm("units", "Filter units", [
    { name: "user_id", label: "User" },
    { name: "agent_id", label: "Agent" },
    { name: "kind", label: "Kind", options: [["", "any"], ...Object.keys(KINDS).map((k) => [k, k])] },
    { name: "granularity", label: "Granularity", options: [["", "any"], ...GRANULARITIES.map((g) => [g, g])] },
    { name: "status", label: "Status", options: [...STATUSES.map((x) => [x, x]), ["any", "any"]] },
    { name: "from", label: "Occurred from", type: "date" },
    { name: "to", label: "Occurred before", type: "date" },
  ], p);
  const rows = page.items.map((u) => [when(u.occurred_at), u.granularity, u.status, unitLink(u), u.session_id || "—"]);
  const next = new URLSearchParams(p);
  next.set("cursor", page.next_cursor || "");
  next.set("page", String(number + 1));
  const first = new URLSearchParams(p);
  first.delete("cursor");
  first.delete("page");
  main.replaceChildren(
    h("h1", {}, "Units"),
    form,
    h("p", { role: "status" }, `Page ${number}: ${page.items.length} ${page.items.length === 1 ? "unit" : "units"}, newest first.`),
    page.items.length ? table("Memory units", ["Occurred", "Granularity", "Status", "Content", "Session"], rows) : h("p", {}, "No units match."),
    h(
      "p",
      { class: "pager" },
      number > 1 ? h("a", { href: "#/units?" + first.toString() }, "← First page") : null,
      page.next_cursor ? h("a", { href: "#/units?" + next.toString() }, "Next page →") : null,
    ),
  );
}

export async function unit(main, route) {
  const id = route.id;
  const [u, history, prov] = await Promise.all([
    api("GET", `/v1/memories/${encodeURIComponent(id)}`),
    api("GET", `/v1/memories/${encodeURIComponent(id)}/history`),
    api("GET", `/v1/memories/${encodeURIComponent(id)}/provenance?depth=10`),
  ]);
  const validity = u.valid_from || u.valid_to ? `${when(u.valid_from)} → ${u.valid_to ? when(u.valid_to) : "now"}` : null;
  const attributes = Object.entries(u.attributes || {});
  main.replaceChildren(
    h("h1", {}, `A ${u.granularity} memory`),
    h("blockquote", { class: "content" }, u.content),
    dl([
      ["Kind", u.kind],
      ["Granularity", u.granularity],
      ["Status", u.status],
      ["Scope", scopeLabel(u.user_id, u.agent_id) + (u.session_id ? `, session ${u.session_id}` : "")],
      ["Occurred", u.occurred_at ? when(u.occurred_at) : null],
      ["Valid", validity],
      ["Learned", when(u.created_at)],
      ["Updated", when(u.updated_at)],
      ["Version", String(u.version)],
      ["Importance", u.importance.toFixed(2)],
      ["Confidence", u.confidence.toFixed(2)],
      ["Origin", `${u.origin} (${u.producer})`],
      ["Returned by search", `${u.access_count} times`],
      ["Superseded by", u.superseded_by ? h("a", { href: "#/unit/" + u.superseded_by }, u.superseded_by) : null],
      ["Pinned", u.pinned ? "yes" : null],
      ["Id", u.id],
    ]),
    h("h2", {}, "Attributes"),
    attributes.length
      ? table("Attributes", ["Name", "Value"], attributes.map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]))
      : h("p", {}, "None."),
    h("h2", {}, `History (${history.length})`),
    history.length ? h("ol", { class: "history" }, history.map(historyEntry)) : h("p", {}, "No changes since it was stored."),
    h("h2", {}, "Provenance"),
    provenanceLists(prov),
    prov.sources.length || prov.derived.length ? provenanceGraph(prov) : null,
  );
}

function provenanceLists(prov) {
  const item = (x) => h("li", {}, h("span", { class: "tag" }, x.granularity), " ", unitLink(x, 120));
  return h(
    "div",
    { class: "columns" },
    h("section", { "aria-labelledby": "came-from" }, h("h3", { id: "came-from" }, `Came from (${prov.sources.length})`), prov.sources.length ? h("ul", {}, prov.sources.map(item)) : h("p", {}, "Nothing: it was stored as given.")),
    h("section", { "aria-labelledby": "led-to" }, h("h3", { id: "led-to" }, `Led to (${prov.derived.length})`), prov.derived.length ? h("ul", {}, prov.derived.map(item)) : h("p", {}, "Nothing derived from it.")),
  );
}

export async function search(main, route) {
  const p = route.params;
  const form = filterForm("search", "Search memories", [
    { name: "q", label: "Query", required: true, placeholder: "where does Ana live?" },
    { name: "user_id", label: "User" },
    { name: "agent_id", label: "Agent" },
    { name: "k", label: "Hits", type: "number", value: "10", min: 1, max: 200 },
    { name: "granularity", label: "Granularity", options: [["", "routed"], ...GRANULARITIES.map((g) => [g, g])] },
    { name: "start", label: "Occurred from", type: "date" },
    { name: "end", label: "Occurred before", type: "date" },
    { name: "as_of", label: "Valid at", type: "date" },
    { name: "budget", label: "Context tokens", type: "number", value: "400", min: 16 },
  ], p, "Search");
  main.replaceChildren(h("h1", {}, "Search"), form);
  if (!p.get("q")) return;
  const body = {
    query: p.get("q"),
    ...scopeParams(p),
    k: Number(p.get("k") || 10),
    granularities: p.get("granularity") ? [p.get("granularity")] : undefined,
    start: dayToIso(p.get("start")),
    end: dayToIso(p.get("end")),
    as_of: dayToIso(p.get("as_of")),
    context_budget: Number(p.get("budget") || 400),
  };
  for (const k of Object.keys(body)) if (body[k] === undefined || body[k] === null) delete body[k];
  const result = await api("POST", "/v1/memories/search", body);
  main.append(...searchResult(result));
}

function searchResult(result) {
  const route = result.route;
  const weights = Object.entries(route.weights).filter(([, w]) => w > 0).sort((a, b) => b[1] - a[1]);
  const window = result.time_window;
  const rows = result.hits.map((hit) => [
    String(hit.rank),
    hit.score.toFixed(4),
    hit.granularity,
    unitLink(hit.memory, 110),
    hit.retrievers.map((v) => `${v.retriever} #${v.rank}`).join(", "),
    when(hit.memory.occurred_at),
  ]);
  return [
    h("h2", {}, `Route: ${route.name}`),
    h("ul", { class: "reasons", "aria-label": "Why this route" }, route.reasons.map((r) => h("li", {}, r))),
    h("p", {}, "Retrievers and weights: ", weights.map(([n, w]) => `${n} ${w}`).join(", ") || "none"),
    h("p", {}, window ? `Time window: ${when(window.start)} → ${when(window.end)} (${window.source || "given"})` : "Time window: none"),
    h("h2", {}, `${result.hits.length} ${result.hits.length === 1 ? "hit" : "hits"}`),
    result.hits.length ? table("Hits with the retrievers that found them and their ranks", ["Rank", "Score", "Granularity", "Memory", "Found by (rank)", "Occurred"], rows) : h("p", {}, "Nothing found."),
    h("h2", {}, "Packed context"),
    result.context ? h("pre", { class: "context", tabindex: "0", "aria-label": "Packed context" }, result.context) : h("p", {}, "No context was packed."),
  ];
}

export { short };
