// The lab's state: the form <-> a params object <-> the URL query, with the WebSocket's names.

// Each preset changes only what differs from the benchmark's defaults.
const EXPLOSION = {
  cells: ["rnn", "irnn"],
  gap: 20,
  steps: 200,
  optimizer: "sgd",
  lr: 0.1,
  w_rec: 3,
  clip_norm: null,
};
export const PRESETS = {
  benchmark: {},
  short: { gap: 10, steps: 300 },
  fixed: { gap: 40, vary_gap: false, lr: 0.01 },
  explosion: EXPLOSION,
  clipped: { ...EXPLOSION, clip_norm: 1 },
  adding: { task: "adding", gap: 50 },
};

const INTEGERS = new Set(["gap", "steps", "hidden_size", "batch_size", "seed"]);
const NULLABLE = new Set(["clip_norm", "w_rec"]); // an empty box means null (off / default)
const FIELDS = [
  "task",
  "gap",
  "steps",
  "optimizer",
  "lr",
  "clip_norm",
  "hidden_size",
  "batch_size",
  "w_rec",
  "forget_bias",
  "attractor_rate",
  "seed",
  "vary_gap",
];
const CELLS = ["rnn", "irnn", "lstm", "gru"];

function parseValue(name, text) {
  if (name === "task" || name === "optimizer") return text;
  if (name === "vary_gap") return text === "true" || text === "1";
  if (text === "" || text === "null") return NULLABLE.has(name) ? null : undefined;
  const value = INTEGERS.has(name) ? Number.parseInt(text, 10) : Number(text);
  return Number.isFinite(value) ? value : undefined;
}

export class LabForm {
  constructor(form, defaults) {
    this.form = form;
    this.defaults = defaults;
    this.inputs = Object.fromEntries(
      [...form.querySelectorAll("[data-param]")].map((node) => [node.dataset.param, node]),
    );
    this.cellBoxes = [...form.querySelectorAll('input[name="cells"]')];
  }

  read() {
    const params = { cells: this.cellBoxes.filter((box) => box.checked).map((box) => box.value) };
    for (const name of FIELDS) {
      const node = this.inputs[name];
      const value = name === "vary_gap" ? node.checked : parseValue(name, node.value.trim());
      if (value !== undefined) params[name] = value;
    }
    return params;
  }

  write(params) {
    const full = { ...this.defaults, ...params };
    for (const box of this.cellBoxes) box.checked = full.cells.includes(box.value);
    for (const name of FIELDS) {
      const node = this.inputs[name];
      if (name === "vary_gap") node.checked = Boolean(full.vary_gap);
      else node.value = full[name] === null || full[name] === undefined ? "" : String(full[name]);
    }
  }

  applyPreset(name) {
    this.write({ ...this.defaults, ...(PRESETS[name] ?? {}) });
  }
}

// Only what differs from the defaults goes into the URL, so links stay short.
export function toQuery(params, defaults) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    const fallback = defaults[name];
    if (name === "cells") {
      if (value.join(",") !== fallback.join(",")) query.set("cells", value.join(","));
    } else if (value !== fallback) {
      query.set(name, value === null ? "null" : String(value));
    }
  }
  return query.toString();
}

export function fromQuery(search, defaults) {
  const query = new URLSearchParams(search);
  const params = { ...defaults };
  for (const name of FIELDS) {
    if (!query.has(name)) continue;
    const value = parseValue(name, query.get(name));
    if (value !== undefined) params[name] = value;
  }
  if (query.has("cells")) {
    const cells = query.get("cells").split(",").filter((cell) => CELLS.includes(cell));
    if (cells.length) params.cells = cells;
  }
  return params;
}
