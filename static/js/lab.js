// The training lab's wiring: form and URL -> WS /api/v1/train -> progress bar, charts, summary.

import { LabCharts } from "./lab-charts.js";
import { LabForm, fromQuery, toQuery } from "./lab-form.js";
import { TrainSocket } from "./lab-socket.js";

const FRAMES_PER_RUN = 50; // progress frames a run sends: enough for smooth curves
const $ = (id) => document.getElementById(id);
// "1 step", "60 steps": every count the page shows.
const count = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

const config = JSON.parse($("lab-config").textContent);
const form = new LabForm($("lab-form"), config.defaults);
const ignored = []; // [name, text] of the link's values the form cannot take
const fits = (name, value) => form.fits(name, value);
form.write(fromQuery(window.location.search, config.defaults, config.choices, ignored, fits));
if (ignored.length) {
  const what = ignored.map(([name, text]) => form.ignoredText(name, text)).join(", ");
  $("lab-notice").textContent = `The link's ${what} ${ignored.length === 1 ? "is not a value" : "are not values"} the lab takes; using the default instead.`;
  $("lab-notice").hidden = false;
}

const charts = new LabCharts({
  accuracy: $("lab-accuracy-chart"),
  loss: $("lab-loss-chart"),
  norm: $("lab-norm-chart"),
  heatmaps: $("lab-heatmaps"),
});

// Exposed for tests and course pages: idle, starting, running or done.
function setState(state) {
  document.body.dataset.lab = state;
  const busy = state === "starting" || state === "running";
  $("lab-start").disabled = busy;
  $("lab-stop").disabled = !busy;
}

function showError(message) {
  $("lab-error").textContent = message ?? "";
  $("lab-error").hidden = !message;
}

// A field the run cannot start with: said next to Start, where the reader is, and focused.
function showFieldError(message, field) {
  const note = $("lab-field-error");
  for (const node of document.querySelectorAll("#lab-form [aria-invalid]")) {
    node.removeAttribute("aria-invalid");
    node.removeAttribute("aria-describedby");
  }
  note.textContent = message ?? "";
  note.hidden = !message;
  if (!message) return;
  field.setAttribute("aria-invalid", "true");
  field.setAttribute("aria-describedby", note.id);
  field.focus();
}

// url_for gives the socket's path; the page's own scheme decides ws: or wss: (TLS proxies).
const trainUrl = new URL(config.train_url, window.location.href);
trainUrl.protocol = window.location.protocol === "https:" ? "wss:" : "ws:";

const socket = new TrainSocket(trainUrl.href, {
  started(frame) {
    charts.reset(frame.params.cells, frame.seq_len, frame.params.steps, frame.chance);
    $("lab-progress").value = 0;
    $("lab-status").textContent = `Training… sequences of ${count(frame.seq_len, "step")}.`;
    setState("running");
  },
  progress(frame) {
    charts.progress(frame);
    $("lab-progress").value = frame.step / frame.steps;
    $("lab-status").textContent = `Step ${frame.step} of ${frame.steps} (${frame.elapsed_s.toFixed(1)} s)`;
  },
  done(frame) {
    const { summary } = frame;
    const how = { stop: "stopped on request", time: "stopped at the time limit" }[summary.stopped] ?? "done";
    $("lab-status").textContent = `${count(summary.steps_done, "step")}, ${how}.`;
    if (!summary.stopped) $("lab-progress").value = 1;
    $("lab-summary").textContent = summary.text;
    setState("done");
  },
  error(frame) {
    // The server names API fields (params.w_rec); the reader knows the box by its label.
    const [where, name] = frame.errors?.[0]?.loc ?? [];
    const field = where === "params" ? form.inputs[name] : undefined;
    if (field && !field.disabled) {
      const why = frame.errors[0].msg.replace(/^./, (c) => c.toLowerCase()).replace(/\.?$/, ".");
      showFieldError(`${form.label(name)}: ${why}`, field);
    } else if (where === "params" && name === "cells") {
      showError(`Cells: ${frame.errors[0].msg}`);
    } else {
      showError(frame.busy ? `Busy: ${frame.detail}` : frame.detail);
    }
    if (document.body.dataset.lab === "starting") setState("idle");
  },
  closed() {
    if (document.body.dataset.lab === "running" || document.body.dataset.lab === "starting") {
      showError("The connection to the server was lost; press Start to try again.");
      setState("idle");
    }
  },
});

$("lab-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const { params, error, field } = form.read();
  showFieldError(error, field);
  if (error) return;
  if (!params.cells.length) {
    showError("Choose at least one cell.");
    return;
  }
  showError("");
  $("lab-summary").textContent = "";
  const query = toQuery(params, config.defaults);
  window.history.replaceState(null, "", query ? `?${query}` : window.location.pathname);
  setState("starting");
  socket.start({ ...params, report_every: Math.max(1, Math.round(params.steps / FRAMES_PER_RUN)) });
});

$("lab-stop").addEventListener("click", () => socket.stop());
$("lab-heat-scale").addEventListener("change", (event) => charts.setRelative(event.target.value === "relative"));

$("lab-preset").addEventListener("change", (event) => {
  if (event.target.value) form.applyPreset(event.target.value);
});
$("lab-form").addEventListener("input", (event) => {
  if (event.target.id !== "lab-preset") $("lab-preset").value = "";
});

setState("idle");
