// The page state: one table of fields with the API's names, serialised to and from the URL query.
// Only values that differ from the default go into the URL, so links stay short; loading the
// URL fills the rest from the table, which reproduces the view. Every request sends every field.
// One default differs from the API's: the page opens on the articles' linear neuron
// (f(a) = a), where W2 alone decides the regime; the API's default is tanh.

const MAX_SAFE_SEED = Number.MAX_SAFE_INTEGER;

export const FIELDS = [
  { name: "cell", type: "enum", default: "rnn", options: ["rnn", "lstm", "gru"] },
  { name: "activation", type: "enum", default: "linear", apiDefault: "tanh", options: ["tanh", "relu", "sigmoid", "linear"] },
  { name: "hidden_size", type: "int", default: 1, min: 1, max: 512 },
  { name: "seq_len", type: "int", default: 20, min: 1, max: 2000 },
  { name: "w_rec", type: "float", default: 1.0, min: -1000, max: 1000 },
  { name: "w_in", type: "float", default: 1.0, min: -1000, max: 1000 },
  { name: "bias", type: "float", default: 0.0, min: -1000, max: 1000 },
  { name: "recurrent_init", type: "enum", default: "orthogonal", options: ["orthogonal", "identity", "gaussian"] },
  { name: "input_pattern", type: "enum", default: "impulse", options: ["impulse", "constant", "sine", "random"] },
  { name: "inputs", type: "numbers", default: null, maxLength: 2000 },
  { name: "loss", type: "enum", default: "last", options: ["last", "all"] },
  { name: "clip_norm", type: "positive?", default: null, max: 1e6 },
  { name: "forget_bias", type: "float", default: 0.0, min: -1000, max: 1000 },
  { name: "bidirectional", type: "bool", default: false },
  { name: "seed", type: "int", default: 0, min: 0, max: MAX_SAFE_SEED },
];

// Page-only options (never sent to the API): what an embed shows.
export const VIEW_FIELDS = ["controls", "panels"];

/**
 * A note for each of an embed's `controls=` and `panels=` that names something unknown;
 * `accepted` holds the server's names ({controls: [...], panels: [...]}, from the page config).
 */
export function viewNotices(view, accepted) {
  const notices = [];
  for (const [option, names] of Object.entries(accepted)) {
    if (view[option] === undefined) continue;
    const unknown = view[option].split(",").map((name) => name.trim()).filter((name) => name && !names.includes(name));
    if (unknown.length) {
      notices.push(`${option}=${shown(unknown.join(","))}: not known; ${option} are ${names.join(", ")}.`);
    }
  }
  return notices;
}

const BY_NAME = new Map(FIELDS.map((field) => [field.name, field]));
// The server's cap on seq_len × hidden_size × directions; each field can pass its own limit
// while their product does not.
const WORK = { max: Infinity };

export function field(name) {
  return BY_NAME.get(name);
}

/** Narrow the table's numeric bounds to the server's limits (from the page config). */
export function applyLimits(limits) {
  const weight = limits.max_abs_weight;
  for (const name of ["w_rec", "w_in", "bias", "forget_bias"]) {
    Object.assign(BY_NAME.get(name), { min: -weight, max: weight });
  }
  BY_NAME.get("seq_len").max = limits.max_seq_len;
  BY_NAME.get("hidden_size").max = limits.max_hidden_size;
  BY_NAME.get("inputs").maxLength = limits.max_seq_len;
  if (limits.max_work) WORK.max = limits.max_work;
}

/** A state within the total-work cap, and a note when it had to change. seq_len gives way, so
 * the network the link asked for stays; explicit inputs fix T, so then hidden_size does. */
export function withinWork(state) {
  const directions = state.bidirectional ? 2 : 1;
  const work = state.seq_len * state.hidden_size * directions;
  if (work <= WORK.max) return { state, note: null };
  const steps = state.inputs ? `${state.seq_len} inputs` : `seq_len=${state.seq_len}`;
  const said = `${steps} × hidden_size=${state.hidden_size}${directions === 2 ? " × 2 directions" : ""}`;
  const over = `${said} is above the work limit of ${WORK.max}`;
  const seqLen = Math.floor(WORK.max / (state.hidden_size * directions));
  if (!state.inputs && seqLen >= 1) {
    return { state: { ...state, seq_len: seqLen }, note: `${over}; using seq_len=${seqLen}.` };
  }
  const hidden = Math.max(1, Math.floor(WORK.max / (state.seq_len * directions)));
  return { state: { ...state, hidden_size: hidden }, note: `${over}; using hidden_size=${hidden}.` };
}

export function defaults() {
  return Object.fromEntries(FIELDS.map((f) => [f.name, f.default]));
}

function clampNumber(f, value) {
  const low = f.min ?? -Infinity;
  const high = f.max ?? Infinity;
  return Math.min(high, Math.max(low, value));
}

/** Coerce a raw value (string from the URL or a control, or a number) to the field's type.
 * Returns the default when the value cannot be understood; numbers are clamped to the limits. */
export function coerce(f, raw) {
  if (raw === null || raw === undefined) return f.default;
  const text = String(raw).trim();
  switch (f.type) {
    case "enum":
      return f.options.includes(text) ? text : f.default;
    case "bool":
      return ["true", "1", "on", "yes"].includes(text.toLowerCase());
    case "int": {
      const value = Number(text);
      return text !== "" && Number.isFinite(value) ? clampNumber(f, Math.round(value)) : f.default;
    }
    case "float": {
      const value = Number(text);
      return text !== "" && Number.isFinite(value) ? clampNumber(f, value) : f.default;
    }
    case "positive?": {
      const value = Number(text);
      if (text === "" || !Number.isFinite(value) || value <= 0) return null;
      return Math.min(f.max, value);
    }
    case "numbers": {
      const values = Array.isArray(raw) ? raw : text.split(/[\s,;]+/).filter((p) => p !== "");
      const numbers = values.map(Number);
      if (numbers.length === 0 || !numbers.every(Number.isFinite)) return null;
      return numbers.slice(0, f.maxLength);
    }
    default:
      return f.default;
  }
}

function sameValue(a, b) {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => v === b[i]);
  }
  return a === b;
}

function formatValue(value) {
  return Array.isArray(value) ? value.join(",") : String(value);
}

const shown = (raw) => (raw.length > 40 ? `${raw.slice(0, 37)}…` : raw);

function usingText(f, value) {
  if (value === null) return f.name === "clip_norm" ? "clipping is off" : "using the input pattern";
  return `using ${formatValue(value)}`;
}

/** A number as typed in a URL; one decimal comma ("0,1") is read as a point unless it could be a
 * thousands separator ("1,000"). */
function parseNumber(text) {
  const comma = /^[+-]?\d*,\d+$/.test(text) && !/^[+-]?\d{1,3},\d{3}$/.test(text);
  const value = Number(comma ? text.replace(",", ".") : text);
  return { value: text === "" ? NaN : value, comma };
}

/** One query value read for a field: the value used, and a note for the user when it is not
 * what the URL said (`changed` alone: the URL should be rewritten, silently). */
export function readField(f, raw) {
  const text = String(raw).trim();
  const said = `${f.name}=${shown(text)}`;
  const notUnderstood = (value, hint = "") => ({ value, note: `${said} was not understood${hint}; ${usingText(f, value)}.` });
  switch (f.type) {
    case "enum": {
      const lower = text.toLowerCase();
      if (f.options.includes(lower)) return { value: lower, note: null, changed: lower !== text };
      return notUnderstood(f.default, ` (one of ${f.options.join(", ")})`);
    }
    case "bool": {
      const lower = text.toLowerCase();
      if (["true", "1", "on", "yes"].includes(lower)) return { value: true, note: null, changed: lower !== "true" };
      if (["false", "0", "off", "no", ""].includes(lower)) return { value: false, note: null, changed: true };
      return notUnderstood(f.default, " (true or false)");
    }
    case "int":
    case "float":
    case "positive?": {
      const { value, comma } = parseNumber(text);
      if (f.type === "positive?" && text === "") return { value: null, note: null, changed: true };
      if (Number.isNaN(value)) return notUnderstood(f.default);
      if (f.type === "positive?" && value <= 0) return { value: null, note: `${said} must be above 0; clipping is off.` };
      const clamped = clampNumber(f, value);
      if (clamped !== value) {
        const side = value > clamped ? "above the limit" : "below the minimum";
        return { value: clamped, note: `${said} is ${side}; using ${clamped}.` };
      }
      if (f.type === "int" && !Number.isInteger(value)) {
        return { value: Math.round(value), note: `${said} is not a whole number; using ${Math.round(value)}.` };
      }
      if (comma) return { value, note: `${said} was read as ${value} (a decimal comma).` };
      return { value, note: null, changed: false };
    }
    case "numbers": {
      const numbers = coerce(f, raw);
      if (numbers === null) return notUnderstood(null, " (give numbers separated by commas)");
      const count = text.split(/[\s,;]+/).filter((p) => p !== "").length;
      if (count > numbers.length) {
        return { value: numbers, note: `inputs has ${count} values, above the limit; using the first ${numbers.length}.` };
      }
      return { value: numbers, note: null, changed: false };
    }
    default:
      return { value: f.default, note: null, changed: false };
  }
}

/** Read the state and the view options from a query string ("?w_rec=2&cell=lstm"), with a note
 * for each value that could not be used as given, and whether the URL should be rewritten. */
export function parseQuery(search) {
  const query = new URLSearchParams(search);
  const state = {};
  const notices = [];
  let rewrite = false;
  for (const f of FIELDS) {
    if (!query.has(f.name)) {
      state[f.name] = f.default;
      continue;
    }
    const { value, note, changed } = readField(f, query.get(f.name));
    state[f.name] = value;
    if (note) notices.push(note);
    rewrite ||= Boolean(note || changed);
  }
  const implied = withImpliedSeqLen(state);
  rewrite ||= implied.seq_len !== state.seq_len && query.has("seq_len");
  const fitted = withinWork(implied);
  if (fitted.note) notices.push(fitted.note);
  rewrite ||= Boolean(fitted.note);
  const view = {};
  for (const name of VIEW_FIELDS) if (query.has(name)) view[name] = query.get(name);
  return { state: fitted.state, view, notices, rewrite };
}

/** The query string for a state (non-default fields only, in table order), without the "?". */
export function toQuery(state, view = {}) {
  const query = new URLSearchParams();
  for (const f of FIELDS) {
    const value = state[f.name];
    if (value !== null && value !== undefined && !sameValue(value, f.default)) {
      query.set(f.name, formatValue(value));
    }
  }
  for (const name of VIEW_FIELDS) if (view[name]) query.set(name, view[name]);
  // Commas are legal in a query; unescaped, "inputs=1,0,0" and "panels=unrolled,grad" stay readable.
  return query.toString().replace(/%2C/gi, ",");
}

/** The API request body for a state: every field, nulls left out, seq_len implied by inputs. */
export function toRequest(state) {
  const body = {};
  for (const f of FIELDS) {
    const value = state[f.name];
    if (value !== null && value !== undefined) body[f.name] = value;
  }
  if (body.inputs) delete body.seq_len;
  return body;
}

/** Explicit inputs set T: seq_len follows their count, so the T field and the URL agree. */
export function withImpliedSeqLen(state) {
  return state.inputs ? { ...state, seq_len: state.inputs.length } : state;
}

/** A key for everything but w_rec: the phase diagram only needs recomputing when it changes. */
export function sweepKey(state) {
  const { w_rec: _ignored, ...rest } = toRequest(state);
  return JSON.stringify(rest);
}

/** A full state from API params (a preset's), whose missing fields take the API's defaults. */
export function fromParams(params) {
  const state = {};
  for (const f of FIELDS) {
    state[f.name] = params[f.name] !== undefined ? coerce(f, params[f.name]) : (f.apiDefault ?? f.default);
  }
  return withImpliedSeqLen(state);
}
