// Wiring: URL state -> controls -> stream (or POST) -> graph, charts and readout.

import { ApiError, SimulationStream, getPresets, postSimulate, postSweep, splitFrame } from "./api.js";
import { Charts } from "./charts.js";
import { bindControls, syncControls, updateAvailability } from "./controls.js";
import { downloadCsv, downloadJson } from "./downloads.js";
import { formatNumber, formatPow10 } from "./format.js";
import { RolledNeuron, UnrolledGraph } from "./graph.js";
import { clippingSentence, growthBadge, growthSentence, influenceSentence } from "./readout.js";
import { applyLimits, fromParams, parseQuery, sweepKey, toQuery, toRequest, viewNotices, withImpliedSeqLen } from "./state.js";
import { initEmbed, initSharing } from "./share.js";

const SWEEP = { min: 0, max: 3, steps: 61, minSteps: 7 };
// Edits of one field closer together than this share a history entry: a run of arrow-key presses
// on the slider is one step for Back, not one per press.
const BURST_MS = 1000;
const $ = (id) => document.getElementById(id);

const config = JSON.parse($("page-config").textContent);
applyLimits(config.limits);
const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
const form = $("main"); // every [data-field] inside is a control

const page = {
  ...parseQuery(window.location.search),
  result: null, // the last complete result
  run: null, // {id, params, steps}: the request in flight
  postAbort: null,
  sweepKey: null,
  sweepAbort: null,
  sweepTimer: null,
  dragging: false, // a slider gesture is under way: its moves share one history entry
  lastEdit: null, // {name, at}: the field last edited and when, to coalesce bursts in history
};

const graph = $("unrolled") ? new UnrolledGraph($("unrolled"), $("unrolled-legend"), { reducedMotion }) : null;
const rolled = $("rolled") ? new RolledNeuron($("rolled"), { reducedMotion }) : null;
const charts = new Charts({ grad: $("grad-chart"), hidden: $("hidden-chart"), gates: $("gates-chart"), sweep: $("sweep-chart") });

function showError(message) {
  const box = $("error");
  if (!box) return;
  box.textContent = message ?? "";
  box.hidden = !message;
}

/** Say which query values could not be used as given (empty: hide the notice). */
function showNotices(notices) {
  const box = $("query-notice");
  if (!box) return;
  box.textContent = notices.join(" ");
  box.hidden = notices.length === 0;
}

function setText(id, text) {
  const node = $(id);
  if (node) node.textContent = text;
}

// ---- running a simulation: stream first, POST when the socket is down -------------------

const stream = new SimulationStream(config.urls.stream.replace(/^http/, "ws"), {
  forward: (frame) => feed(frame),
  backward: (frame) => feed(frame),
  done: (id, result) => page.run && page.run.id === id && complete(result),
  error: (id, detail) => page.run && page.run.id === id && fail(detail),
  closed: (id) => page.run && page.run.id === id && runByPost(page.run.params),
  // Exposed for course pages' scripts and tests: "open" while results stream, else "closed".
  status: (state) => {
    document.body.dataset.stream = state;
    // A quiet note, not an error: the page keeps working over POST while the socket is down.
    const note = $("stream-status");
    if (note) note.hidden = state === "open";
  },
});

function feed(frame) {
  if (!page.run || page.run.id !== frame.id) return;
  for (const step of splitFrame(frame)) {
    page.run.steps += 1;
    if (graph) graph.push(frame.type, step);
  }
}

function expectedSteps(state) {
  return state.inputs ? state.inputs.length : state.seq_len;
}

function run({ animate }) {
  const params = toRequest(page.state);
  if (graph) {
    graph.begin({ T: expectedSteps(page.state), loss: page.state.loss, bidirectional: page.state.bidirectional, animate });
  }
  if (rolled) rolled.update(page.state, null);
  charts.markWRec(page.state.w_rec);
  document.body.dataset.busy = "true";
  const id = stream.simulate(params);
  page.run = { id, params, steps: 0, animate };
  if (id === false) runByPost(params);
  scheduleSweep();
}

async function runByPost(params) {
  if (page.postAbort) page.postAbort.abort();
  const controller = new AbortController();
  page.postAbort = controller;
  const id = `post-${Date.now()}-${Math.random()}`;
  page.run = { ...page.run, id, params, steps: 0 };
  let result;
  try {
    result = await postSimulate(config.urls, params, controller.signal);
  } catch (error) {
    if (error.name === "AbortError") return;
    if (page.run && page.run.id === id) fail(error instanceof ApiError ? error.message : "Could not reach the server.");
    return;
  }
  // Outside the try: a fault in drawing is a bug to surface, not "Could not reach the server".
  if (page.run && page.run.id === id) complete(result);
}

/** Play a complete result through the graph, as the stream would have. */
function replay(result) {
  const T = result.hidden.length;
  for (let t = 1; t <= T; t += 1) graph.push("forward", { t, hidden: result.hidden[t - 1] });
  for (let t = T; t >= 1; t -= 1) {
    graph.push("backward", {
      t,
      grad_log10: result.grad_log10[t - 1],
      input_grad_log10: result.input_grad_log10[t - 1],
      cell_grad_log10: result.cell_grad_log10 ? result.cell_grad_log10[t - 1] : null,
    });
  }
}

function complete(result) {
  const animate = page.run ? page.run.animate : false;
  const streamed = page.run ? page.run.steps : 0;
  page.run = null;
  page.result = result;
  document.body.dataset.busy = "false";
  document.body.dataset.stale = "false";
  showError(null);
  if (graph) {
    const T = result.hidden.length;
    if (streamed < 2 * T || graph.T !== T) {
      graph.begin({ T, loss: page.state.loss, bidirectional: page.state.bidirectional, animate });
      replay(result);
    }
    graph.finish(result);
  }
  if (rolled) rolled.update(page.state, result);
  charts.update(result, page.state);
  setText("regime", result.regime);
  const regime = $("regime");
  if (regime) regime.dataset.regime = result.regime;
  setText("growth", growthBadge(result));
  const readout = $("readout-text");
  if (readout) {
    readout.textContent = [influenceSentence(result, page.state), growthSentence(result, page.state), clippingSentence(result)]
      .filter(Boolean)
      .join(" ");
  }
  const clip = $("clip-readout");
  if (clip) clip.textContent = paramGradText(result);
}

function paramGradText(result) {
  if (result.param_grad_log10 === null && result.hidden.some((row) => row.includes(null))) {
    return "undefined: the hidden state overflowed float64";
  }
  const norm = result.param_grad_log10 === null ? "exactly zero" : formatPow10(result.param_grad_log10);
  if (result.clipped_param_grad_norm === null || result.clipped_param_grad_norm === undefined) return `${norm} (not clipped)`;
  return `${norm}, clipped to ${formatNumber(result.clipped_param_grad_norm)}`;
}

/** The latest request was refused: say so, and never let the views pass for its result. The
 * last complete result stays on show, dimmed (body[data-stale]), the graph included. */
function fail(message) {
  const animate = page.run ? page.run.animate : false;
  page.run = null;
  document.body.dataset.busy = "false";
  document.body.dataset.stale = "true";
  showError(message);
  setText("regime", "—");
  const regime = $("regime");
  if (regime) regime.dataset.regime = "";
  setText("growth", "");
  setText("clip-readout", "–");
  const previous = page.result;
  const shown = previous ? " The views show the last result that was computed, dimmed." : "";
  // The reason is in #error, just below, where a screen reader hears it at once (role=alert).
  setText("readout-text", `Not computed: the last request was refused, for the reason below.${shown}`);
  if (!graph) return;
  if (previous) {
    graph.begin({ T: previous.hidden.length, loss: previous.params?.loss ?? page.state.loss,
      bidirectional: Boolean(previous.params?.bidirectional ?? page.state.bidirectional), animate });
    replay(previous);
    graph.finish(previous);
  } else {
    graph.abandon();
  }
}

// ---- the phase diagram ----------------------------------------------------------------------

function scheduleSweep() {
  if (!$("sweep-chart")) return;
  const key = sweepKey(page.state);
  if (key === page.sweepKey) return;
  page.sweepKey = key;
  clearTimeout(page.sweepTimer);
  page.sweepTimer = setTimeout(runSweep, 250);
}

async function runSweep() {
  const state = page.state;
  const work = expectedSteps(state) * state.hidden_size * (state.bidirectional ? 2 : 1);
  const steps = Math.min(SWEEP.steps, Math.floor((config.limits.max_sweep_work ?? Infinity) / work));
  if (steps < SWEEP.minSteps) {
    charts.sweepMessage("Too large a network for the phase diagram; lower T or H.");
    return;
  }
  if (page.sweepAbort) page.sweepAbort.abort();
  const controller = new AbortController();
  page.sweepAbort = controller;
  const { w_rec: _current, ...rest } = toRequest(state);
  try {
    const sweep = await postSweep(config.urls, { ...rest, w_rec_min: SWEEP.min, w_rec_max: SWEEP.max, steps }, controller.signal);
    if (page.sweepAbort === controller) charts.drawSweep(sweep, page.state.w_rec);
  } catch (error) {
    if (error.name === "AbortError") return;
    charts.sweepMessage(error.message);
    page.sweepKey = null; // try again on the next change
  }
}

// ---- state, URL and history -----------------------------------------------------------------

function writeUrl(push) {
  const query = toQuery(page.state, page.view);
  const url = `${window.location.pathname}${query ? `?${query}` : ""}`;
  if (url === `${window.location.pathname}${window.location.search}`) return;
  if (push) window.history.pushState(null, "", url);
  else window.history.replaceState(null, "", url);
}

function onEdit(name, value, { discrete, invalid }) {
  if (invalid) {
    showError(invalid);
    return;
  }
  page.state = withImpliedSeqLen({ ...page.state, [name]: value });
  showNotices([]); // the notice was about the link; the view is now the user's own
  syncControls(form, page.state);
  updateAvailability(form, page.state);
  clearPreset();
  // One history entry per gesture: a drag's first move pushes, later moves and the release replace;
  // so do further edits of the same field within BURST_MS of the one before.
  const now = performance.now();
  const burst = page.lastEdit !== null && page.lastEdit.name === name && now - page.lastEdit.at < BURST_MS;
  writeUrl(!(page.dragging || burst));
  page.dragging = !discrete;
  page.lastEdit = { name, at: now };
  const params = JSON.stringify(toRequest(page.state));
  if (discrete && params === page.lastParams) {
    if (page.run) return; // the drag's own request is still on its way
    if (page.result && graph) {
      // The drag already computed this; the release only replays the animation.
      graph.begin({ T: page.result.hidden.length, loss: page.state.loss, bidirectional: page.state.bidirectional, animate: true });
      replay(page.result);
      graph.finish(page.result);
      return;
    }
  }
  page.lastParams = params;
  run({ animate: discrete });
}

window.addEventListener("popstate", () => {
  Object.assign(page, parseQuery(window.location.search));
  showNotices(page.notices);
  if (page.rewrite) writeUrl(false);
  page.dragging = false;
  page.lastEdit = null;
  syncControls(form, page.state);
  page.lastParams = JSON.stringify(toRequest(page.state));
  run({ animate: false });
});

// ---- presets --------------------------------------------------------------------------------

let presets = [];

function clearPreset() {
  const select = $("ctl-preset");
  if (select && select.value) {
    select.value = "";
    setText("preset-caption", "");
  }
}

async function loadPresets() {
  const select = $("ctl-preset");
  if (!select) return;
  try {
    const answer = await getPresets(config.urls);
    presets = Array.isArray(answer) ? answer : answer.presets ?? [];
  } catch {
    select.disabled = true;
    return;
  }
  for (const preset of presets) {
    const option = document.createElement("option");
    option.value = preset.id;
    option.textContent = preset.title;
    select.appendChild(option);
  }
  select.addEventListener("change", () => {
    const preset = presets.find((p) => p.id === select.value);
    if (!preset) return;
    page.state = fromParams(preset.params);
    showNotices([]); // the notice was about the link; the view is now the preset's
    syncControls(form, page.state);
    setText("preset-caption", preset.caption);
    writeUrl(true);
    page.lastEdit = null;
    page.lastParams = JSON.stringify(toRequest(page.state));
    run({ animate: true });
  });
}

// ---- start ------------------------------------------------------------------------------------

// On a phone the secondary settings start folded, so the slider and the chain come first.
if (window.matchMedia("(max-width: 860px)").matches) {
  for (const group of document.querySelectorAll("details.group")) group.open = false;
}
syncControls(form, page.state);
if (config.mode === "embed") page.notices.push(...viewNotices(page.view, config.view_names));
showNotices(page.notices);
// The address bar says what the page shows: values it could not use as given are replaced.
if (page.rewrite) writeUrl(false);
bindControls(form, onEdit);
loadPresets();
initSharing({ config, getState: () => page.state, getResult: () => page.result, downloadJson, downloadCsv });
if (config.mode === "embed") initEmbed({ config, getState: () => page.state, view: page.view });
stream.connect();
page.lastParams = JSON.stringify(toRequest(page.state));
// The first result comes by POST (the socket is still opening); later ones stream.
run({ animate: true });
