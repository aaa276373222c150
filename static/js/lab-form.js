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
// Controls that shape only the agreement task's sentences; the adding task ignores them.
const AGREEMENT_ONLY = ["attractor_rate", "vary_gap"];
const LOWEST_GAP = { agreement: 0, adding: 2 }; // adding: one marker in each half

// A URL value, or undefined when it is not one the field can take (`choices`: the server's).
function parseValue(name, text, choices) {
  if (name in choices) return choices[name].includes(text) ? text : undefined;
  if (name === "vary_gap") return text === "true" || text === "1";
  if (text === "" || text === "null") return NULLABLE.has(name) ? null : undefined;
  const value = Number(text); // "1e2" is 100, as the number box reads it
  if (!Number.isFinite(value)) return undefined;
  return INTEGERS.has(name) && !Number.isSafeInteger(value) ? undefined : value;
}

// "from 1 to 3000", "of at least 0": the range the box's min and max attributes allow.
function rangeText(node) {
  const { min, max } = node;
  if (min !== "" && max !== "") return `from ${min} to ${max}`;
  if (min !== "") return `of at least ${min}`;
  return max !== "" ? `of at most ${max}` : "";
}

export class LabForm {
  constructor(form, defaults) {
    this.form = form;
    this.defaults = defaults;
    this.inputs = Object.fromEntries(
      [...form.querySelectorAll("[data-param]")].map((node) => [node.dataset.param, node]),
    );
    this.cellBoxes = [...form.querySelectorAll('input[name="cells"]')];
    // The number boxes' limits as the page was served (the server's), before a task narrows
    // one: what a link's values are checked against.
    this.limits = Object.fromEntries(
      Object.entries(this.inputs)
        .filter(([, node]) => node.type === "number")
        .map(([name, node]) => [name, { min: node.min, max: node.max }]),
    );
    this.inputs.task.addEventListener("change", () => this.showTask());
  }

  // The page as the chosen task reads: its intro, its words (data-agreement / data-adding),
  // the lowest gap it takes, and the agreement-only controls disabled, with the reason shown.
  showTask() {
    const task = this.inputs.task.value;
    for (const intro of document.querySelectorAll(".intro[data-task]")) intro.hidden = intro.dataset.task !== task;
    for (const node of document.querySelectorAll("[data-agreement][data-adding]")) node.textContent = node.dataset[task];
    this.inputs.gap.min = String(LOWEST_GAP[task]);
    for (const name of AGREEMENT_ONLY) this.inputs[name].disabled = task !== "agreement";
    document.getElementById("lab-task-note").hidden = task === "agreement";
  }

  // Whether a link's parsed `value` lies within the box's served min and max (null: empty).
  fits(name, value) {
    const limits = this.limits[name];
    if (!limits || value === null) return true;
    return (limits.min === "" || value >= Number(limits.min)) && (limits.max === "" || value <= Number(limits.max));
  }

  // "Gap “99999” (a whole number from 0 to 1000)": a link's value the form cannot take, and why.
  ignoredText(name, text) {
    const limits = this.limits[name];
    if (!limits) return `${this.label(name)} “${text}”`;
    const kind = INTEGERS.has(name) ? "a whole number" : "a number";
    const range = rangeText(limits);
    return `${this.label(name)} “${text}” (${kind}${range ? ` ${range}` : ""})`;
  }

  // The field's label as the reader sees it ("Steps"), for messages.
  label(name) {
    if (name === "cells") return "Cells";
    const node = this.inputs[name];
    const label = node && (this.form.querySelector(`label[for="${node.id}"]`) ?? node.closest("label"));
    return label ? label.textContent.trim() : name;
  }

  // A number box's value, or an error naming the box by its label; never NaN or Infinity.
  readNumber(name) {
    const node = this.inputs[name];
    const text = node.value.trim();
    if (text === "" && !node.validity.badInput && NULLABLE.has(name)) return { value: null };
    const value = node.valueAsNumber;
    const integer = INTEGERS.has(name);
    const low = node.min === "" ? -Infinity : Number(node.min);
    const high = node.max === "" ? Infinity : Number(node.max);
    const whole = integer ? Number.isSafeInteger(value) : Number.isFinite(value);
    if (whole && value >= low && value <= high) return { value };
    const kind = integer ? "a whole number" : "a number";
    const range = rangeText(node);
    const blank = NULLABLE.has(name) ? ` (or leave it empty: ${node.placeholder})` : "";
    return { error: `${this.label(name)}: give ${kind}${range ? ` ${range}` : ""}${blank}.` };
  }

  // { params } or { error, field }: the first field that cannot be sent as it stands.
  read() {
    const params = { cells: this.cellBoxes.filter((box) => box.checked).map((box) => box.value) };
    for (const name of FIELDS) {
      const node = this.inputs[name];
      if (node.disabled) params[name] = this.defaults[name]; // a control this task ignores
      else if (name === "vary_gap") params[name] = node.checked;
      else if (node.type !== "number") params[name] = node.value;
      else {
        const { value, error } = this.readNumber(name);
        if (error) return { error, field: node };
        params[name] = value;
      }
    }
    return { params };
  }

  write(params) {
    const full = { ...this.defaults, ...params };
    for (const box of this.cellBoxes) box.checked = full.cells.includes(box.value);
    for (const name of FIELDS) {
      const node = this.inputs[name];
      if (name === "vary_gap") node.checked = Boolean(full.vary_gap);
      else node.value = full[name] === null || full[name] === undefined ? "" : String(full[name]);
    }
    this.showTask();
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

// The link's params over the defaults; `choices` are the server's task, optimizer and cell
// names; `fits(name, value)` says whether a number lies within its box's limits; `ignored`
// collects [name, text] of values it cannot take.
export function fromQuery(search, defaults, choices, ignored = [], fits = () => true) {
  const query = new URLSearchParams(search);
  const params = { ...defaults };
  for (const name of FIELDS) {
    if (!query.has(name)) continue;
    const value = parseValue(name, query.get(name), choices);
    if (value !== undefined && fits(name, value)) params[name] = value;
    else ignored.push([name, query.get(name)]);
  }
  if (query.has("cells")) {
    const cells = query.get("cells").split(",").filter((cell) => choices.cells.includes(cell));
    if (cells.length) params.cells = cells;
    else ignored.push(["cells", query.get("cells")]);
  }
  return params;
}
