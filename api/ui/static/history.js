// One history entry: what changed between its before and after states, content word by word.

import { h, when } from "./dom.js";

const SKIP = new Set(["updated_at", "version"]);

// Attributes are compared key by key ("attributes.summary"), not as one blob.
function flat(state) {
  const out = {};
  for (const [k, v] of Object.entries(state || {})) {
    if (k === "attributes" && v && typeof v === "object") {
      for (const [ak, av] of Object.entries(v)) out["attributes." + ak] = av;
    } else out[k] = v;
  }
  return out;
}

export function historyEntry(entry) {
  const before = flat(entry.before);
  const after = flat(entry.after);
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
    (k) => !SKIP.has(k) && JSON.stringify(before[k]) !== JSON.stringify(after[k]),
  );
  const rows = keys.map((k) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, k),
      h("td", {}, k === "content" && before[k] && after[k] ? wordDiff(before[k], after[k]) : show(before[k])),
      h("td", {}, k === "content" && before[k] && after[k] ? "" : show(after[k])),
    ),
  );
  const by = [entry.actor && `by ${entry.actor}`, entry.reason && `(${entry.reason})`].filter(Boolean).join(" ");
  return h(
    "li",
    {},
    h(
      "p",
      {},
      h("strong", {}, entry.operation),
      ` → version ${entry.version}, ${when(entry.created_at)} ${by}`,
      entry.job_id ? h("span", {}, " · ", h("a", { href: "#/job/" + entry.job_id }, "the job")) : null,
    ),
    rows.length
      ? h(
          "table",
          { class: "diff" },
          h("caption", {}, `Changes in ${entry.operation}`),
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Field"), h("th", { scope: "col" }, "Before"), h("th", { scope: "col" }, "After"))),
          h("tbody", {}, rows),
        )
      : null,
  );
}

function show(value) {
  if (value === undefined || value === null) return "—";
  return typeof value === "string" ? value : JSON.stringify(value);
}

// Longest common subsequence of words; removed words in <del>, added in <ins>.
export function wordDiff(a, b) {
  const x = a.split(/(\s+)/);
  const y = b.split(/(\s+)/);
  if (x.length * y.length > 250000) return h("span", {}, h("del", {}, a), " ", h("ins", {}, b));
  const dp = Array.from({ length: x.length + 1 }, () => new Uint32Array(y.length + 1));
  for (let i = x.length - 1; i >= 0; i--) {
    for (let j = y.length - 1; j >= 0; j--) {
      dp[i][j] = x[i] === y[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) {
      out.push(x[i]);
      i++;
      j++;
    } else if (j < y.length && (i === x.length || dp[i][j + 1] >= dp[i + 1][j])) out.push(h("ins", {}, y[j++]));
    else out.push(h("del", {}, x[i++]));
  }
  return h("span", { class: "worddiff" }, out);
}
