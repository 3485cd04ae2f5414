// SVG drawings: a unit's provenance as layers (what it led to above, what it came from below,
// down to the turns) and a scope's entity graph on a circle. Every node is a link.

import { s, short } from "./dom.js";

const ROW = 92;
const WIDTH = 960;
const NODE_W = 150;
const NODE_H = 46;
const PER_ROW = 6;

// Layers by hops from the unit: sources get +1 per hop, derived units -1.
function layers(unitId, edges) {
  const up = new Map(); // derived -> sources
  const down = new Map(); // source -> derived
  for (const e of edges) {
    if (!up.has(e.derived_id)) up.set(e.derived_id, []);
    up.get(e.derived_id).push(e.source_id);
    if (!down.has(e.source_id)) down.set(e.source_id, []);
    down.get(e.source_id).push(e.derived_id);
  }
  const level = new Map([[unitId, 0]]);
  const walk = (next, step) => {
    let frontier = [unitId];
    for (let depth = step; frontier.length; depth += step) {
      const following = [];
      for (const id of frontier) {
        for (const other of next.get(id) || []) {
          if (!level.has(other)) {
            level.set(other, depth);
            following.push(other);
          }
        }
      }
      frontier = following;
    }
  };
  walk(up, 1);
  walk(down, -1);
  return level;
}

export function provenanceGraph(view) {
  const units = new Map([view.memory, ...view.sources, ...view.derived].map((u) => [u.id, u]));
  const level = layers(view.memory.id, view.edges);
  const rows = new Map();
  for (const [id, depth] of level) {
    if (!units.has(id)) continue;
    if (!rows.has(depth)) rows.set(depth, []);
    rows.get(depth).push(units.get(id));
  }
  const depths = [...rows.keys()].sort((a, b) => a - b);
  const pos = new Map();
  const hidden = [];
  depths.forEach((depth, row) => {
    const items = rows.get(depth);
    const shown = items.slice(0, PER_ROW);
    if (items.length > shown.length) hidden.push([row, items.length - shown.length]);
    shown.forEach((unit, i) => {
      const x = ((i + 0.5) * WIDTH) / shown.length;
      pos.set(unit.id, { x, y: 30 + row * ROW, unit });
    });
  });
  const height = 30 + depths.length * ROW;
  const lines = view.edges
    .filter((e) => pos.has(e.derived_id) && pos.has(e.source_id))
    .map((e) => {
      const a = pos.get(e.derived_id);
      const b = pos.get(e.source_id);
      const down = b.y > a.y;
      return s("line", {
        x1: a.x, y1: a.y + (down ? NODE_H / 2 : -NODE_H / 2),
        x2: b.x, y2: b.y + (down ? -NODE_H / 2 : NODE_H / 2),
        class: "edge", "marker-end": "url(#arrow)",
      });
    });
  const nodes = [...pos.values()].map(({ x, y, unit }) =>
    node(x, y, unit, unit.id === view.memory.id ? "node current" : "node " + unit.granularity),
  );
  const more = hidden.map(([row, n]) =>
    s("text", { x: WIDTH - 8, y: 30 + row * ROW + NODE_H / 2 + 14, "text-anchor": "end", class: "more" }, `and ${n} more`),
  );
  return s(
    "svg",
    { viewBox: `0 0 ${WIDTH} ${height}`, class: "graph", "aria-labelledby": "prov-title" },
    s("title", { id: "prov-title" }, "Provenance graph: derived memories above, sources below, down to the turns"),
    defs(),
    lines,
    nodes,
    more,
  );
}

function node(x, y, unit, cls) {
  const label = `${unit.granularity}: ${short(unit.content, 60)}`;
  return s(
    "a",
    { href: "#/unit/" + unit.id, "aria-label": label },
    s("rect", { x: x - NODE_W / 2, y: y - NODE_H / 2, width: NODE_W, height: NODE_H, rx: 6, class: cls }),
    s("text", { x, y: y - 6, "text-anchor": "middle", class: "kind" }, unit.granularity),
    s("text", { x, y: y + 12, "text-anchor": "middle" }, short(unit.content, 22)),
  );
}

function defs() {
  return s(
    "defs",
    {},
    s(
      "marker",
      { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
      s("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrowhead" }),
    ),
  );
}

function relationEdge(r, a, b, offset) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = Math.hypot(dx, dy) || 1;
  const [nx, ny] = [-dy / len, dx / len];
  const [ux, uy] = [dx / len, dy / len];
  const mid = { x: (a.x + b.x) / 2 + nx * offset, y: (a.y + b.y) / 2 + ny * offset };
  const ctrl = { x: (a.x + b.x) / 2 + nx * offset * 2, y: (a.y + b.y) / 2 + ny * offset * 2 };
  const start = { x: a.x + ux * 11, y: a.y + uy * 11 };
  const end = { x: b.x - ux * 12, y: b.y - uy * 12 };
  const cls = r.status === "active" ? "edge" : "edge past";
  return s(
    "g",
    {},
    s("path", { d: `M ${start.x} ${start.y} Q ${ctrl.x} ${ctrl.y} ${end.x} ${end.y}`, class: cls, fill: "none", "marker-end": "url(#arrow)" }),
    s("text", { x: mid.x, y: mid.y - 4, "text-anchor": "middle", class: "label" }, (r.attributes.label || "").replaceAll("_", " ")),
  );
}

// Entities on a circle, relations as labelled arrows between them. An end a relation names
// without an entity (e.g. "the user") is drawn as a plain label.
function ends(r) {
  const a = r.attributes;
  return [a.source_id || "name:" + a.source, a.target_id || "name:" + a.target];
}

export function entityGraph(entities, relations, limit = 40) {
  const all = new Map(entities.map((e) => [e.id, { id: e.id, name: e.attributes.name || e.content, unit: e }]));
  for (const r of relations) {
    ends(r).forEach((id, i) => {
      if (!all.has(id)) all.set(id, { id, name: i ? r.attributes.target : r.attributes.source, unit: null });
    });
  }
  const degree = new Map();
  for (const r of relations) for (const id of ends(r)) degree.set(id, (degree.get(id) || 0) + 1);
  const shown = [...all.values()].sort((a, b) => (degree.get(b.id) || 0) - (degree.get(a.id) || 0)).slice(0, limit);
  const size = 620;
  const radius = shown.length > 1 ? size / 2 - 90 : 0;
  const pos = new Map();
  shown.forEach((n, i) => {
    const angle = (2 * Math.PI * i) / shown.length - Math.PI / 2;
    pos.set(n.id, { x: size / 2 + radius * Math.cos(angle), y: size / 2 + radius * Math.sin(angle), n });
  });
  const drawn = relations.filter((r) => ends(r).every((id) => pos.has(id)));
  const pairs = new Map(); // parallel relations between two entities fan out as curves
  for (const r of drawn) {
    const key = [...ends(r)].sort().join("|");
    if (!pairs.has(key)) pairs.set(key, []);
    pairs.get(key).push(r);
  }
  const edges = drawn.map((r) => {
    const group = pairs.get([...ends(r)].sort().join("|"));
    const offset = (group.indexOf(r) - (group.length - 1) / 2) * 30;
    return relationEdge(r, ...ends(r).map((id) => pos.get(id)), offset);
  });
  const nodes = [...pos.values()].map(({ x, y, n }) => {
    const mark = [
      s("circle", { cx: x, cy: y, r: 9, class: n.unit ? "entity" : "entity named" }),
      s("text", { x, y: y + 24, "text-anchor": "middle" }, short(n.name, 24)),
    ];
    return n.unit ? s("a", { href: "#/unit/" + n.id, "aria-label": "entity " + n.name }, mark) : s("g", {}, mark);
  });
  return s(
    "svg",
    { viewBox: `0 0 ${size} ${size}`, class: "graph entity-graph", "aria-labelledby": "graph-title" },
    s("title", { id: "graph-title" }, `Entity graph: ${entities.length} entities, ${edges.length} relations drawn`),
    defs(),
    edges,
    nodes,
  );
}
