// Views over a scope's structure and upkeep: the entity graph, jobs, one job, stats.

import { api, dayToIso, dl, filterForm, h, query, scopeLabel, short, table, when } from "./dom.js";
import { entityGraph } from "./draw.js";

const REVERTIBLE = new Set(["consolidate", "compress", "forget"]);
const JOB_KINDS = ["consolidate", "compress", "forget", "extract"];
const CHANGE_TITLES = {
  merge: "Merged",
  supersede: "Superseded",
  archive: "Archived",
  purge: "Purged",
  summarise: "Summarised",
  create: "Created",
  repoint: "Repointed",
  revert: "Reverted",
};

export async function graph(main, route) {
  const p = route.params;
  const scope = { user_id: p.get("user_id"), agent_id: p.get("agent_id") };
  const asOf = dayToIso(p.get("as_of"));
  const [entities, relations] = await Promise.all([
    api("GET", "/v1/memories" + query({ ...scope, granularities: "entity", limit: 500 })),
    api(
      "GET",
      "/v1/memories" +
        query({ ...scope, granularities: "relation", statuses: asOf ? ["active", "superseded"] : ["active"], valid_at: asOf, limit: 500 }),
    ),
  ]);
  const form = filterForm("graph", "Choose a scope and a date", [
    { name: "user_id", label: "User" },
    { name: "agent_id", label: "Agent" },
    { name: "as_of", label: "As of", type: "date" },
  ], p, "Show graph");
  const names = new Map(entities.items.map((e) => [e.id, e.attributes.name || e.content]));
  const name = (id, fallback) => (id && names.has(id) ? h("a", { href: "#/unit/" + id }, names.get(id)) : fallback || "—");
  const rows = relations.items.map((r) => [
    name(r.attributes.source_id, r.attributes.source),
    h("a", { href: "#/unit/" + r.id }, (r.attributes.label || "").replaceAll("_", " ")),
    name(r.attributes.target_id, r.attributes.target),
    when(r.valid_from),
    r.valid_to ? when(r.valid_to) : "still valid",
    r.status,
  ]);
  main.replaceChildren(
    h("h1", {}, `Entity graph of ${scopeLabel(scope.user_id, scope.agent_id)}`),
    form,
    h("p", { role: "status" }, `${entities.items.length} entities, ${relations.items.length} relations` + (asOf ? ` valid on ${p.get("as_of")}.` : " valid now.")),
    entities.items.length ? entityGraph(entities.items, relations.items) : h("p", {}, "No entities in this scope."),
    h("h2", {}, "Relations"),
    rows.length ? table("Relations with their validity", ["From", "Relation", "To", "Valid from", "Valid until", "Status"], rows) : h("p", {}, "No relations."),
    h("h2", {}, "Entities"),
    h("ul", { class: "inline" }, entities.items.map((e) => h("li", {}, h("a", { href: "#/unit/" + e.id }, e.attributes.name || e.content), e.attributes.type ? ` (${e.attributes.type})` : ""))),
  );
}

function progress(job) {
  const pct = Math.round((job.progress || 0) * 100);
  return h("span", { class: "progress" }, h("progress", { max: "100", value: String(pct), "aria-label": `progress of job ${job.kind}` }), ` ${pct}%`);
}

function counts(job) {
  const entries = Object.entries(job.counts || {}).filter(([, v]) => typeof v === "number");
  return entries.map(([k, v]) => `${k.replaceAll("_", " ")} ${v}`).join(", ") || "—";
}

export async function jobs(main) {
  const list = await api("GET", "/v1/jobs?limit=100");
  const rows = list.map((j) => [
    h("a", { href: "#/job/" + j.id }, `${j.kind}${j.dry_run ? " (dry run)" : ""}`),
    j.status + (j.counts && j.counts.reverted_at ? ", reverted" : ""),
    scopeLabel(j.user_id, j.agent_id),
    progress(j),
    counts(j),
    when(j.created_at),
  ]);
  main.replaceChildren(h("h1", {}, "Jobs"), runForm(), h("p", {}, `${list.length} ${list.length === 1 ? "job" : "jobs"}, newest first.`), list.length ? table("Jobs", ["Job", "Status", "Scope", "Progress", "Counts", "Created"], rows) : null);
}

function runForm() {
  const form = h(
    "form",
    { class: "filters", "aria-label": "Run a job" },
    h("span", { class: "field" }, h("label", { for: "job-kind" }, "Kind"), h("select", { id: "job-kind", name: "kind" }, JOB_KINDS.map((k) => h("option", { value: k }, k)))),
    h("span", { class: "field" }, h("label", { for: "job-user" }, "User"), h("input", { id: "job-user", name: "user_id" })),
    h("span", { class: "field" }, h("label", { for: "job-dry" }, "Dry run"), h("input", { id: "job-dry", name: "dry_run", type: "checkbox" })),
    h("button", { type: "submit" }, "Run job"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = { kind: data.get("kind"), dry_run: data.get("dry_run") === "on" };
    if (data.get("user_id")) body.user_id = data.get("user_id");
    const job = await api("POST", "/v1/jobs", body);
    location.hash = "#/job/" + job.id;
  });
  return form;
}

export async function job(main, route) {
  const [j, changes] = await Promise.all([
    api("GET", `/v1/jobs/${encodeURIComponent(route.id)}`),
    api("GET", `/v1/jobs/${encodeURIComponent(route.id)}/changes`),
  ]);
  const ids = [...new Set(changes.map((c) => c.unit_id))];
  const units = new Map();
  await Promise.all(ids.slice(0, 200).map(async (id) => {
    units.set(id, await api("GET", `/v1/memories/${encodeURIComponent(id)}`).catch(() => null));
  }));
  const groups = new Map();
  for (const c of changes) {
    if (!groups.has(c.operation)) groups.set(c.operation, []);
    groups.get(c.operation).push(c);
  }
  const sections = [...groups].map(([op, list]) =>
    h(
      "section",
      { "aria-labelledby": "op-" + op },
      h("h3", { id: "op-" + op }, `${CHANGE_TITLES[op] || op} (${list.length})`),
      h("ul", {}, list.map((c) => {
        const u = units.get(c.unit_id);
        const text = u ? `${u.granularity}: ${short(u.content, 110)}` : (c.after && c.after.content) || c.unit_id;
        return h("li", {}, h("a", { href: "#/unit/" + c.unit_id }, text), ` (${when(c.created_at)})`);
      })),
    ),
  );
  const reverted = j.counts && j.counts.reverted_at;
  main.replaceChildren(
    h("h1", {}, `Job: ${j.kind}${j.dry_run ? " (dry run)" : ""}`),
    dl([
      ["Status", j.status + (reverted ? `, reverted ${when(reverted)}` : "")],
      ["Scope", scopeLabel(j.user_id, j.agent_id)],
      ["Progress", progress(j)],
      ["Counts", counts(j)],
      ["Error", j.error],
      ["Created", when(j.created_at)],
      ["Started", when(j.started_at)],
      ["Finished", when(j.finished_at)],
      ["Id", j.id],
    ]),
    REVERTIBLE.has(j.kind) && j.status === "succeeded" && !reverted && !j.dry_run ? revertControl(j) : null,
    h("h2", {}, `Changes (${changes.length})`),
    sections.length ? h("div", { class: "changes" }, sections) : h("p", {}, "This job changed no memories."),
  );
}

function revertControl(j) {
  const box = h("p", { class: "revert" });
  const status = h("span", { role: "status" });
  const confirm = h("button", { type: "button", class: "danger", hidden: true }, "Yes, revert it");
  const ask = h("button", { type: "button" }, "Revert this job");
  ask.addEventListener("click", () => {
    confirm.hidden = false;
    status.textContent = "Every change this job made will be undone.";
  });
  confirm.addEventListener("click", async () => {
    const result = await api("POST", `/v1/jobs/${encodeURIComponent(j.id)}/revert`);
    status.textContent = `Reverted: ${result.restored} restored, ${result.removed} removed.`;
    ask.hidden = true;
    confirm.hidden = true;
  });
  box.append(ask, " ", confirm, " ", status);
  return box;
}

export async function stats(main, route) {
  const p = route.params;
  const scope = { user_id: p.get("user_id"), agent_id: p.get("agent_id") };
  const st = await api("GET", "/v1/stats" + query(scope));
  const form = filterForm("stats", "Choose a scope", [
    { name: "user_id", label: "User" },
    { name: "agent_id", label: "Agent" },
  ], p, "Show stats");
  const statuses = ["active", "superseded", "archived", "deleted"];
  const rows = Object.entries(st.by_granularity_status).map(([g, by]) => [g, ...statuses.map((x) => String(by[x] || 0))]);
  const pct = (x) => `${(x * 100).toFixed(1)}%`;
  const lastJobs = Object.entries(st.last_jobs).map(([kind, j]) =>
    h("li", {}, `${kind}: `, j ? h("a", { href: "#/job/" + j.id }, `${j.status} ${when(j.finished_at || j.created_at)}`) : "never"),
  );
  main.replaceChildren(
    h("h1", {}, `Stats of ${scopeLabel(scope.user_id, scope.agent_id)}`),
    form,
    dl([
      ["Memories", String(st.total)],
      ["Active facts", String(st.active_facts)],
      ["Near-duplicate facts", `${pct(st.duplicate_rate)} (${st.duplicate_pairs} pairs${st.duplicate_sampled ? ", sampled" : ""})`],
      ["Superseded", pct(st.superseded_share)],
      ["Archived", pct(st.archived_share)],
      ["By kind", Object.entries(st.by_kind).map(([k, n]) => `${k} ${n}`).join(", ") || "—"],
    ]),
    rows.length ? table("Memories by granularity and status", ["Granularity", ...statuses], rows) : h("p", {}, "No memories in this scope."),
    h("h2", {}, "Last job of each kind"),
    h("ul", {}, lastJobs),
  );
}
