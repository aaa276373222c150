// Every Plotly chart of the page (this is the only module that touches Plotly).

// Okabe–Ito colours: distinguishable with every common colour-vision deficiency.
const COLOURS = { blue: "#0072B2", orange: "#E69F00", green: "#009E73", vermillion: "#D55E00",
  sky: "#56B4E9", purple: "#CC79A7", black: "#222222" };
const GATE_COLOURS = [COLOURS.blue, COLOURS.vermillion, COLOURS.green, COLOURS.orange];
// Gates can coincide (at H = 1 every gate block shares W1 and the bias): a wide solid line under
// narrower dashed ones keeps each visible on top of the others.
const GATE_LINES = [{ dash: "solid", width: 5 }, { dash: "dash", width: 2.5 }, { dash: "dot", width: 3 },
  { dash: "dashdot", width: 1.5 }];
// Below this width (px) titles wrap and the phase diagram's colour bar moves under the plot.
const NARROW = 380;
// Purple–orange diverging scale for signed hidden values, the same as the unrolled graph's.
const DIVERGING = [[0, "#5e3c99"], [0.25, "#b2abd2"], [0.5, "#f7f7f7"], [0.75, "#fdb863"], [1, "#e66101"]];
const FONT = { family: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size: 12, color: "#1f2933" };

function plotly() {
  return window.Plotly; // a classic deferred script, loaded before the modules run
}

const isNarrow = (element) => element.clientWidth > 0 && element.clientWidth < NARROW;

/** A title as [wide, narrow] text: the narrow one may wrap with <br>. */
function layout(title, xTitle, yTitle, extra = {}, element = null) {
  const [wide, narrow] = Array.isArray(title) ? title : [title, title];
  const text = element && isNarrow(element) ? narrow : wide;
  return {
    title: { text, font: { size: 14 }, x: 0.02, xanchor: "left", xref: "container" },
    font: FONT,
    margin: { l: 58, r: 14, t: text.includes("<br>") ? 58 : 40, b: 96 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "#ffffff",
    xaxis: { title: { text: xTitle, standoff: 8 }, gridcolor: "#e6e9ee", zeroline: false },
    yaxis: { title: { text: yTitle }, gridcolor: "#e6e9ee", zerolinecolor: "#c4cad3" },
    // Anchored to the container bottom so it never covers the x-axis title.
    legend: { orientation: "h", x: 0, xref: "container", y: 0, yref: "container", yanchor: "bottom" },
    hoverlabel: { font: { family: FONT.family } },
    ...extra,
  };
}

// Bottom margin for the tick labels and the x-axis title; a legend below adds its own height.
const AXIS_ROOM = 52;
const LEGEND_GUESS = 44; // one or two rows, until the drawn legend is measured
// Per chart element: the shape of its last figure and its legend's measured height.
const drawnFigures = new WeakMap();

/** Draw a figure, with room for a legend only when there is one. Plotly.react keeps stale
 * positions when the legend comes or goes (the x-axis title lands on the tick labels), so a
 * change of shape draws afresh, and the legend's measured height sets the bottom margin. */
function draw(element, traces, figureLayout, filename, { bottom } = {}) {
  const legend = traces.filter((trace) => trace.showlegend !== false).length > 1;
  const shape = `${traces.length}|${legend}|${bottom ?? ""}`;
  const previous = drawnFigures.get(element);
  const legendHeight = legend ? (previous?.legendHeight ?? LEGEND_GUESS) : 0;
  drawnFigures.set(element, { shape, legendHeight });
  figureLayout.showlegend = legend;
  figureLayout.margin = { ...figureLayout.margin, b: bottom ?? AXIS_ROOM + legendHeight };
  const render = previous && previous.shape === shape ? plotly().react : plotly().newPlot;
  const drawn = render(element, traces, figureLayout, config(filename));
  if (legend && bottom === undefined) drawn.then(() => fitLegend(element));
}

/** Make the bottom margin fit the drawn legend (its rows depend on the chart's width). */
function fitLegend(element) {
  const box = element.querySelector(".legend");
  const figure = drawnFigures.get(element);
  if (!box || !figure || !element._fullLayout) return;
  const height = Math.ceil(box.getBoundingClientRect().height);
  figure.legendHeight = height;
  if (Math.abs(element._fullLayout.margin.b - (AXIS_ROOM + height)) > 1) {
    plotly().relayout(element, { "margin.b": AXIS_ROOM + height });
  }
}

function config(filename) {
  return {
    responsive: true,
    displaylogo: false,
    modeBarButtonsToRemove: ["lasso2d", "select2d", "autoScale2d", "sendChartToCloud"],
    toImageButtonOptions: { format: "png", filename, scale: 2 },
  };
}

// Up to this many steps every step gets its tick; beyond, Plotly's spacing is whole steps anyway.
const EVERY_STEP = 10;

/** Axis settings for `count` whole steps numbered from `first`: Plotly's own spacing puts ticks
 * at 0.5 or 0.2 over a short range, and steps (and units) come only whole. */
function stepAxis(count, first = 1) {
  if (count > EVERY_STEP) return { tickmode: "auto", nticks: 12 };
  return { tickmode: "linear", tick0: first, dtick: 1, range: [first - 0.5, first + count - 0.5] };
}

/** Merge whole-step tick settings into a figure's axis (`xaxis` or `yaxis`). */
function withSteps(figureLayout, axis, count, first = 1) {
  figureLayout[axis] = { ...figureLayout[axis], ...stepAxis(count, first) };
  return figureLayout;
}

/** The smallest of 1, 2, 5, 10, 20, 50, … at least `least`. */
function niceStep(least) {
  for (let step = 1; ; step *= 10) {
    for (const nice of [1, 2, 5]) if (nice * step >= least) return nice * step;
  }
}

/** The heatmap's unit axis: rows 1 … H, or with two chains H forward rows then H backward
 * rows, each labelled by its unit and an arrow for its direction. */
function unitAxis(rows, bidirectional) {
  const chains = bidirectional ? 2 : 1;
  const units = rows / chains;
  const step = niceStep(units / (bidirectional ? 4 : 8));
  // With two chains a tick just below H would crowd the backward chain's "1 ←" above it.
  const crowded = (k) => bidirectional && step > 1 && k > 1 && units - k < step / 2;
  const shown = steps(units).filter((k) => (k === 1 || k % step === 0) && !crowded(k));
  const tickvals = [];
  const ticktext = [];
  for (let chain = 0; chain < chains; chain += 1) {
    const arrow = bidirectional ? (chain === 0 ? " →" : " ←") : "";
    for (const k of shown) {
      tickvals.push(chain * units + k);
      ticktext.push(`${k}${arrow}`);
    }
  }
  return { tickmode: "array", tickvals, ticktext, range: [0.5, rows + 0.5] };
}

const signedLog = (v) => Math.sign(v) * Math.log10(1 + Math.abs(v));
const steps = (count) => Array.from({ length: count }, (_, i) => i + 1);

function meanOf(row) {
  if (!row || row.some((v) => v === null)) return null;
  return row.reduce((a, b) => a + b, 0) / row.length;
}

/** Markers at the foot of the chart for the steps whose gradient is exactly zero (null), which a
 * log scale cannot show (a dead ReLU): otherwise the chart would look empty. */
function zeroMarkers(grad, t) {
  const x = t.filter((_, i) => grad[i] === null);
  if (!x.length) return null;
  const finite = grad.filter((v) => v !== null);
  const floor = finite.length ? Math.min(...finite) - 1 : -1;
  return {
    x, y: x.map(() => floor), name: "exactly zero (log₁₀ = −∞)", mode: "markers",
    marker: { symbol: "triangle-down", size: 9, color: "#8a94a3" },
    hovertemplate: "t = %{x}<br>‖∂L/∂hₜ‖ = 0 exactly<extra></extra>",
  };
}

/** Pairs of traces whose values agree everywhere (to 1e-9), named for a note on the chart. */
function coincident(traces) {
  const pairs = [];
  for (let i = 0; i < traces.length; i += 1) {
    for (let j = i + 1; j < traces.length; j += 1) {
      const a = traces[i].y;
      const b = traces[j].y;
      if (a.every((v, k) => v !== null && b[k] !== null && Math.abs(v - b[k]) <= 1e-9)) {
        pairs.push([traces[i].name, traces[j].name]);
      }
    }
  }
  return pairs;
}

// Below this span (in decades) a log10 curve is drawn in a window this tall: autorange would
// blow float64's rounding up to the full height, with tick labels of ten digits cut off.
const MIN_LOG_SPAN = 0.1;

/** A y range of MIN_LOG_SPAN around the shown traces' values when they are all but flat. */
export function flatRange(traces) {
  let low = Infinity;
  let high = -Infinity;
  for (const trace of traces) {
    if (trace.visible === "legendonly") continue;
    for (const y of trace.y) {
      if (y === null || !Number.isFinite(y)) continue;
      low = Math.min(low, y);
      high = Math.max(high, y);
    }
  }
  if (!(high - low < MIN_LOG_SPAN)) return null; // wide enough, or nothing to draw
  const middle = (low + high) / 2;
  return [middle - MIN_LOG_SPAN / 2, middle + MIN_LOG_SPAN / 2];
}

/** The classic bound, drawn over grad_log10: anchored at step T, each step back adds
 * step_bound_log10 (log10 of ‖W2‖·max|f′|). Null for LSTM and GRU, which report no bound. */
export function boundLog10(result) {
  const grad = result.grad_log10;
  const stepBound = result.step_bound_log10;
  const T = grad.length;
  if (!stepBound || !stepBound.slice(1).some((v) => v !== null) || grad[T - 1] === null) return null;
  const bound = new Array(T).fill(null);
  bound[T - 1] = grad[T - 1];
  for (let i = T - 1; i >= 1 && stepBound[i] !== null && bound[i] !== null; i -= 1) {
    bound[i - 1] = bound[i] + stepBound[i];
  }
  return bound;
}

/** The charts present on this page (any may be missing in an embed). */
export class Charts {
  constructor({ grad, hidden, gates, sweep }) {
    this.grad = grad;
    this.hidden = hidden;
    this.gates = gates;
    this.sweep = sweep;
    this.sweepShown = false;
    this.last = null; // [result, state] of the last update, redrawn when the width class changes
    this.lastSweep = null;
    this.narrow = grad ? isNarrow(grad) : false;
    let timer = null;
    window.addEventListener("resize", () => {
      clearTimeout(timer);
      timer = setTimeout(() => this.reflow(), 150);
    });
    // Plotly's `responsive` follows the window only; a chart whose box changes with the layout
    // (the phase diagram moving into a half-width column when the gates panel appears) must
    // follow its own box, or it keeps its old width and the page scrolls sideways.
    if (typeof ResizeObserver === "function") {
      const observer = new ResizeObserver((entries) => this.fit(entries.map((entry) => entry.target)));
      for (const element of [grad, hidden, gates, sweep]) if (element) observer.observe(element);
    }
  }

  /** Resize the drawn charts among `elements` whose plot no longer matches their box. */
  fit(elements) {
    if (!this.ready) return;
    this.reflow();
    for (const element of elements) {
      const layout = element._fullLayout; // present only once Plotly has drawn into the element
      if (!layout || element.clientWidth === 0) continue;
      if (Math.abs(layout.width - element.clientWidth) >= 1 || Math.abs(layout.height - element.clientHeight) >= 1) {
        // Rejects only when the element was hidden meanwhile; the next observation redraws it.
        plotly().Plots.resize(element).then(() => fitLegend(element), () => {});
      }
    }
  }

  /** Redraw with the wide or narrow layout when the charts cross NARROW. */
  reflow() {
    const probe = this.grad ?? this.hidden ?? this.sweep;
    if (!probe || isNarrow(probe) === this.narrow) return;
    this.narrow = isNarrow(probe);
    if (this.last) this.update(...this.last);
    if (this.lastSweep) this.drawSweep(...this.lastSweep);
  }

  get ready() {
    return Boolean(plotly());
  }

  /** Redraw the per-step charts from a complete result. */
  update(result, state) {
    if (!this.ready) return;
    this.last = [result, state];
    if (this.grad) this.drawGrad(result, state);
    if (this.hidden) this.drawHidden(result, state);
    if (this.gates) this.drawGates(result, state);
  }

  drawGrad(result, state) {
    const t = steps(result.grad_log10.length);
    const markers = t.length <= 60 ? "lines+markers" : "lines";
    const traces = [{
      x: t, y: result.grad_log10, name: "‖∂L/∂hₜ‖ hidden state", mode: markers,
      line: { color: COLOURS.blue, width: 2.5 }, marker: { size: 6 },
      hovertemplate: "t = %{x}<br>log₁₀ ‖∂L/∂hₜ‖ = %{y:.3f}<extra></extra>",
    }];
    const zero = zeroMarkers(result.grad_log10, t);
    if (zero) traces.push(zero);
    // With two chains grad_log10 is the gradient w.r.t. the concatenated [hₜ; h′ₜ]; the bound
    // covers only the forward chain's product of Jacobians, so it would not bound this curve.
    // With a loss on every step each hₜ also takes the gradient of the outputs near it, so a
    // bound anchored at h_T on the last step's loss runs decades below the curve.
    const twoChains = Boolean(state.bidirectional);
    const everyStep = state.loss === "all";
    const bound = twoChains || everyStep ? null : boundLog10(result);
    if (bound) {
      traces.push({
        x: t, y: bound, name: "bound (‖W2‖·max|f′|)^(T−t)", mode: "lines",
        line: { color: COLOURS.vermillion, width: 2, dash: "dash" },
        hovertemplate: "t = %{x}<br>bound log₁₀ = %{y:.3f}<extra></extra>",
      });
    }
    if (result.cell_grad_log10) {
      traces.push({
        x: t, y: result.cell_grad_log10, name: "‖∂L/∂cₜ‖ cell state (highway)", mode: markers,
        line: { color: COLOURS.green, width: 2.5 }, marker: { size: 6, symbol: "diamond" },
        hovertemplate: "t = %{x}<br>log₁₀ ‖∂L/∂cₜ‖ = %{y:.3f}<extra></extra>",
      });
    }
    traces.push({
      x: t, y: result.input_grad_log10, name: "‖∂L/∂xₜ‖ input", mode: "lines",
      line: { color: COLOURS.purple, width: 1.5, dash: "dot" }, visible: "legendonly",
      hovertemplate: "t = %{x}<br>log₁₀ ‖∂L/∂xₜ‖ = %{y:.3f}<extra></extra>",
    });
    const title = ["How much gradient reaches each step", "How much gradient<br>reaches each step"];
    const extra = { uirevision: `${t.length}|${state.cell}` };
    extra.annotations = [];
    if (twoChains || everyStep) {
      extra.annotations.push({ x: 1, y: 1, xref: "paper", yref: "paper", xanchor: "right", yanchor: "bottom",
        showarrow: false, align: "right", font: { size: 11, color: COLOURS.black },
        text: twoChains ? "no bound line: it covers the forward chain only"
          : "no bound line: it covers the last step's loss only" });
    }
    if (zero) {
      extra.annotations.push({ x: 0, y: 1, xref: "paper", yref: "paper", xanchor: "left", yanchor: "top",
        showarrow: false, align: "left", font: { size: 11, color: COLOURS.black },
        text: `▼ exactly zero at ${zero.x.length} of ${t.length} steps<br>(log₁₀ 0 = −∞, drawn at the bottom)` });
    }
    const figure = layout(title, "step t", "log₁₀ ‖∂L/∂hₜ‖", extra, this.grad);
    const range = flatRange(traces);
    if (range) figure.yaxis = { ...figure.yaxis, range, autorange: false };
    draw(this.grad, traces, withSteps(figure, "xaxis", t.length), "grad-log10");
  }

  drawHidden(result, state) {
    const T = result.hidden.length;
    const t = steps(T);
    const units = T ? result.hidden[0].length : 0;
    // Exploding linear states span hundreds of decades: switch to a signed log scale then.
    // A loop, not Math.max(...values): T × H reaches 262,144 values, past the engine's limit on
    // spread arguments (a RangeError that left the page on "Computing…").
    let peak = 0;
    for (const row of result.hidden) for (const v of row) if (v !== null && Math.abs(v) > peak) peak = Math.abs(v);
    const huge = peak > 1e4 || result.hidden.some((row) => row.includes(null));
    const scale = huge ? signedLog : (v) => v;
    const label = huge ? "sign(h)·log₁₀(1 + |h|)" : "h";
    const rows = result.hidden.map((row) => row.map((v) => (v === null ? null : scale(v))));
    let traces;
    let extra = { uirevision: `${T}|${units}|${state.cell}|${huge}` };
    if (units === 1) {
      traces = [{ x: t, y: rows.map((row) => row[0]), name: "hₜ", mode: T <= 60 ? "lines+markers" : "lines",
        line: { color: COLOURS.blue, width: 2 }, marker: { size: 5 },
        hovertemplate: `t = %{x}<br>${label} = %{y:.4g}<extra></extra>` }];
      if (result.cell_state) {
        traces.push({ x: t, y: result.cell_state.map((row) => (row[0] === null ? null : scale(row[0]))),
          name: "cₜ cell state", mode: "lines", line: { color: COLOURS.green, width: 2, dash: "dash" },
          hovertemplate: "t = %{x}<br>c = %{y:.4g}<extra></extra>" });
      }
      extra = { ...extra, yaxis: { title: { text: huge ? label : "hₜ" }, gridcolor: "#e6e9ee" } };
    } else {
      const z = Array.from({ length: units }, (_, unit) => rows.map((row) => row[unit]));
      const twoChains = Boolean(state.bidirectional);
      // Rows past H belong to the backward chain; the hover says so rather than a bare row number.
      const row = twoChains ? `row %{y} (1–${units / 2} forward, then backward)` : "unit %{y}";
      traces = [{ type: "heatmap", x: t, y: steps(units), z, zmid: 0, colorscale: DIVERGING,
        colorbar: { title: { text: huge ? "signed log" : "h" }, thickness: 12 },
        hovertemplate: `t = %{x}, ${row}<br>${label} = %{z:.4g}<extra></extra>` }];
      const axis = twoChains ? "unit (→ forward, ← backward)" : "unit";
      extra = { ...extra, yaxis: { title: { text: axis }, ...unitAxis(units, twoChains) } };
      if (twoChains) {
        // A line between the chains, so the arrows read as two blocks of rows.
        extra.shapes = [{ type: "line", xref: "paper", x0: 0, x1: 1, yref: "y", y0: units / 2 + 0.5,
          y1: units / 2 + 0.5, line: { color: COLOURS.black, width: 1.5 } }];
      }
    }
    const overflow = result.hidden.findIndex((row) => row.includes(null));
    if (overflow >= 0) {
      extra.annotations = [{ x: 1, y: 1, xref: "paper", yref: "paper", xanchor: "right", showarrow: false,
        text: `beyond float range from t = ${overflow + 1}`, font: { size: 11, color: COLOURS.vermillion } }];
    }
    draw(this.hidden, traces, withSteps(layout("Hidden state", "step t", label, extra, this.hidden), "xaxis", T), "hidden");
  }

  drawGates(result, state) {
    const panel = this.gates.closest("[data-panel]");
    const gated = Boolean(result.gates) && state.cell !== "rnn";
    if (panel) panel.hidden = !gated;
    if (!gated) {
      plotly().purge(this.gates);
      return;
    }
    const t = steps(result.hidden.length);
    const traces = Object.entries(result.gates).map(([gate, rows], i) => ({
      x: t, y: rows.map(meanOf), name: gate, mode: "lines",
      line: { color: GATE_COLOURS[i % 4], ...GATE_LINES[i % 4] },
      hovertemplate: `t = %{x}<br>${gate} = %{y:.3f}<extra></extra>`,
    }));
    const same = coincident(traces);
    const extra = { uirevision: state.cell };
    if (same.length) {
      extra.annotations = [{ x: 1, y: 1, xref: "paper", yref: "paper", xanchor: "right", yanchor: "bottom",
        showarrow: false, font: { size: 11, color: COLOURS.black },
        text: same.map((pair) => pair.join(" = ")).join(", ") }];
    }
    const title = state.cell === "lstm" ? "LSTM gates" : "GRU gates";
    const figure = layout(title, "step t", "mean gate value", extra, this.gates);
    draw(this.gates, traces, withSteps(figure, "xaxis", t.length), "gates");
  }

  /** The phase diagram: rows are steps back from T, columns the W2 values of the sweep. */
  drawSweep(sweep, wRec) {
    if (!this.ready || !this.sweep) return;
    const values = sweep.w_rec_values;
    this.sweepValues = values;
    delete this.sweep.dataset.message;
    const T = sweep.grad_log10.length ? sweep.grad_log10[0].length : 0;
    const z = Array.from({ length: T }, (_, back) => sweep.grad_log10.map((row) => row[T - 1 - back]));
    let peak = 1;
    for (const row of z) for (const v of row) if (v !== null && Math.abs(v) > peak) peak = Math.abs(v);
    const range = Math.min(peak, 30);
    // A null is an exact zero (log₁₀ 0 = −∞), drawn as a gap: the caption says so when there is one.
    this.zeroNote(z.some((row) => row.includes(null)));
    this.lastSweep = [sweep, wRec];
    const narrow = isNarrow(this.sweep);
    // On a phone a vertical colour bar would take a third of the width: lay it under the plot.
    const colorbar = narrow
      // (its title would overlap a horizontal bar: the x-axis title names the colour instead)
      ? { orientation: "h", thickness: 10,
        lenmode: "pixels", len: Math.max(160, this.sweep.clientWidth - 90),
        x: 0.5, xanchor: "center", xref: "container", y: 0.01, yanchor: "bottom", yref: "container" }
      : { title: { text: "log₁₀ ‖∂L/∂h‖" }, thickness: 12 };
    const trace = {
      type: "heatmap", x: values, y: Array.from({ length: T }, (_, k) => k), z,
      zmin: -range, zmax: range, colorscale: "Viridis", colorbar,
      hovertemplate: "W2 = %{x:.3f}, %{y} steps back<br>log₁₀ ‖∂L/∂h‖ = %{z:.2f}<extra></extra>",
    };
    const extra = { shapes: this.markers(wRec), annotations: this.labels(wRec), uirevision: `${T}|${values.length}` };
    const xTitle = narrow ? "feedback weight W2<br>colour: log₁₀ ‖∂L/∂h‖ (bar below)" : "feedback weight W2";
    const figure = withSteps(layout("Phase diagram", xTitle, "steps back from T", extra, this.sweep), "yaxis", T, 0);
    draw(this.sweep, [trace], figure, "phase-diagram", { bottom: narrow ? 124 : 52 });
    this.sweepShown = true;
  }

  /** Move the current-W2 line without recomputing the diagram (cheap while dragging). */
  markWRec(wRec) {
    if (!this.ready || !this.sweep || !this.sweepShown) return;
    plotly().relayout(this.sweep, { shapes: this.markers(wRec), annotations: this.labels(wRec) });
  }

  markers(wRec) {
    const values = this.sweepValues ?? [wRec];
    // Clamped so that a W2 beyond the diagram does not stretch its axis.
    const x = Math.min(values[values.length - 1], Math.max(values[0], wRec));
    const line = (x, style) => ({ type: "line", xref: "x", yref: "paper", x0: x, x1: x, y0: 0, y1: 1, line: style });
    return [
      line(1, { color: "#ffffff", width: 2, dash: "dash" }),
      line(x, { color: COLOURS.black, width: 3 }),
    ];
  }

  labels(wRec) {
    const values = this.sweepValues ?? [wRec];
    const x = Math.min(values[values.length - 1], Math.max(values[0], wRec));
    const label = (at, text, y, yanchor) => ({ x: at, y, xref: "x", yref: "paper", yanchor, text,
      showarrow: false, font: { size: 11, color: "#1f2933" }, bgcolor: "rgba(255,255,255,0.85)", borderpad: 2 });
    return [label(1, "W2 = 1", 0.01, "bottom"), label(x, `W2 = ${wRec}`, 1.0, "bottom")];
  }

  /** Show or hide the caption's note on blank (exactly zero) cells. */
  zeroNote(shown) {
    const note = this.sweep.closest("figure")?.querySelector("#sweep-zero-note");
    if (note) note.hidden = !shown;
  }

  /** Say why there is no diagram (too large a request, for example) instead of a stale one. */
  sweepMessage(text) {
    if (!this.sweep) return;
    if (this.ready) plotly().purge(this.sweep);
    this.sweepShown = false;
    this.zeroNote(false);
    this.sweep.dataset.message = text;
  }
}
