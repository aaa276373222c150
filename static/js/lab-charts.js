// The lab's only Plotly user: accuracy, loss and gradient-norm curves, and one heatmap per cell.

// Okabe-Ito colours: distinguishable with every common colour-vision deficiency.
export const CELL_STYLE = {
  rnn: { color: "#D55E00", label: "RNN (tanh)" },
  irnn: { color: "#CC79A7", label: "IRNN" },
  lstm: { color: "#0072B2", label: "LSTM" },
  gru: { color: "#009E73", label: "GRU" },
};
const HEAT_RANGE = 30; // decades shown below the largest value; deeper is all the darkest colour
const FONT = { family: "system-ui, sans-serif", size: 12, color: "#1f2933" };
const BASE_CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d", "sendChartToCloud"] };
// Below 600 px the mode bar covers the legends and the heatmaps' top rows: phones go without it.
const PHONE = window.matchMedia("(max-width: 599px)");
const config = () => ({ ...BASE_CONFIG, displayModeBar: PHONE.matches ? false : "hover" });

const PLOT_PX = 192; // a chart's plot height: 240 less the margins
const AXIS_ROOM = 40; // bottom margin for the tick labels and the x-axis title
const LEGEND_GUESS = 44; // two rows of legend, until the drawn legend is measured
// The heatmaps' right margin, each holding its own colour bar: equal margins give the four plots
// one width, so their training-step axes line up.
const HEAT_RIGHT = 72;
const LABEL_PX = 18; // room one tick label needs, so that labels never overlap

// 6 -> 6e-1 style values without float noise: Number("3e-1") is 0.3, 3 * 10 ** -1 is not.
const decimal = (mantissa, exponent) => Number(`${mantissa}e${exponent}`);

// The one-digit values just below and above v (0.63 -> 0.6, 0.7), so an axis ends on labels.
function snap(v, up) {
  const exponent = Math.floor(Math.log10(v));
  const scaled = v / 10 ** exponent;
  const mantissa = up ? Math.ceil(scaled - 1e-9) : Math.floor(scaled + 1e-9);
  return decimal(Math.max(mantissa, 1), exponent);
}

// A log-axis label that reads as its value: "0.2", "5", "300", or "2×10⁻⁵" far from 1.
export function tickLabel(value) {
  const exponent = Math.floor(Math.log10(value) + 1e-9);
  const mantissa = Math.round(value / 10 ** exponent);
  if (exponent >= -3 && exponent <= 4) return String(value);
  const power = `10<sup>${exponent < 0 ? "−" : ""}${Math.abs(exponent)}</sup>`;
  return mantissa === 1 ? power : `${mantissa}×${power}`;
}

// Ticks at 1, 2, 5 (or 1 … 9, or every few decades) times powers of ten, as many as fit
// LABEL_PX apart: whole decades first, then 5s, then 2s, then the rest.
function logTicks(lo, hi) {
  const perDecade = PLOT_PX / (hi - lo);
  const gap = LABEL_PX / perDecade; // decades between two labels' centres
  let mantissas = [1];
  if (perDecade >= 150) mantissas = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  else if (perDecade >= 45) mantissas = [1, 2, 5];
  const every = mantissas.length === 1 ? Math.max(1, Math.ceil(gap)) : 1;
  const rank = (m) => [1, 5, 2].indexOf(m) + 1 || 4;
  const candidates = [];
  for (let exponent = Math.floor(lo); exponent <= Math.ceil(hi); exponent += 1) {
    if (exponent % every !== 0) continue;
    for (const mantissa of mantissas) {
      const value = decimal(mantissa, exponent);
      const at = Math.log10(value);
      if (at >= lo - 1e-9 && at <= hi + 1e-9) candidates.push({ value, at, rank: rank(mantissa) });
    }
  }
  candidates.sort((a, b) => a.rank - b.rank || a.at - b.at);
  const kept = [];
  for (const tick of candidates) if (kept.every((k) => Math.abs(k.at - tick.at) >= gap)) kept.push(tick);
  kept.sort((a, b) => a.at - b.at);
  return { tickvals: kept.map((t) => t.value), ticktext: kept.map((t) => tickLabel(t.value)) };
}

// A log y axis over `values` with explicit ticks. Exact zeros, which a log axis cannot draw,
// sit on its floor: `floor` is that value, or null when there are none.
function logAxis(values) {
  const positive = values.filter((v) => v !== null && v > 0);
  const zeros = values.some((v) => v === 0);
  let lo = -1;
  let hi = 3;
  if (positive.length) {
    const low = snap(Math.min(...positive), false);
    let high = snap(Math.max(...positive), true);
    if (high <= low) high = snap(low * 1.01, true);
    lo = Math.log10(low);
    hi = Math.log10(high);
  }
  const pad = 0.03 * (hi - lo);
  const bottom = lo - (zeros ? 6 : 1) * pad; // zeros get a strip of their own below the curves
  const top = hi + pad;
  const axis = { type: "log", range: [bottom, top], tickmode: "array", ...logTicks(bottom, top) };
  if (!zeros) return { axis, floor: null };
  // The floor's own label, "0", with room kept clear above it.
  const clear = bottom + (LABEL_PX * (top - bottom)) / PLOT_PX;
  const keep = axis.tickvals.map((v) => Math.log10(v) >= clear);
  // Just inside the range: Plotly hides unclipped markers on or beyond its edge.
  const floor = 10 ** (bottom + pad / 2);
  axis.tickvals = [floor, ...axis.tickvals.filter((_, i) => keep[i])];
  axis.ticktext = ["0", ...axis.ticktext.filter((_, i) => keep[i])];
  return { axis, floor };
}

function layout(yTitle, extra = {}) {
  return {
    font: FONT,
    margin: { l: 56, r: 12, t: 8, b: 40 },
    height: 240,
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "#ffffff",
    xaxis: { title: { text: "training step" }, zeroline: false },
    yaxis: { title: { text: yTitle }, zeroline: false, ...extra },
    // Below the x-axis title, in a bottom margin grown by its height: never on the curves.
    legend: { orientation: "h", xref: "container", yref: "container", x: 0, y: 0, yanchor: "bottom" },
    showlegend: true,
    datarevision: 0,
  };
}

export class LabCharts {
  constructor({ accuracy, loss, norm, heatmaps }) {
    this.nodes = { accuracy, loss, norm };
    // Under each log chart: why some points sit on its floor (exact zeros).
    this.notes = {};
    for (const name of ["loss", "norm"]) {
      const note = document.createElement("p");
      note.className = "lab-chart-note";
      note.hidden = true;
      note.textContent = "▼ on the floor: exactly 0, which a log axis cannot draw.";
      this.nodes[name].after(note);
      this.notes[name] = note;
    }
    this.heatmaps = heatmaps;
    this.pending = false;
    this.revision = 0; // Plotly.react redraws only when this changes: the arrays grow in place
    this.relative = true; // heatmap rows relative to the last position, or absolute
    // Each curve chart's legend height as last drawn: its rows depend on the chart's width.
    this.legendPx = { accuracy: LEGEND_GUESS, loss: LEGEND_GUESS, norm: LEGEND_GUESS };
    this.reset([], 0, 0, 0.5);
    // A phone turned sideways or a window resized across 600 px: redraw with the right mode bar.
    PHONE.addEventListener("change", () => this.schedule());
    // A new width can wrap the legends into more or fewer rows: measured again on the redraw.
    window.addEventListener("resize", () => this.schedule());
  }

  reset(cells, seqLen, steps, chance) {
    this.cells = cells;
    this.seqLen = seqLen;
    this.steps = steps;
    this.chance = chance;
    this.diverged = {};
    this.series = Object.fromEntries(
      cells.map((cell) => [cell, { step: [], accuracy: [], loss: [], norm: [], clipped: [], heat: [] }]),
    );
    this.heatmaps.replaceChildren(
      ...cells.map((cell) => {
        const node = document.createElement("div");
        node.className = "lab-heatmap";
        node.id = `lab-heatmap-${cell}`;
        node.dataset.cell = cell;
        return node;
      }),
    );
    this.schedule();
  }

  progress(frame) {
    for (const cell of this.cells) {
      const record = frame.cells[cell];
      const series = this.series[cell];
      if (!record || !series) continue;
      series.step.push(frame.step);
      series.accuracy.push(record.accuracy);
      series.loss.push(record.loss);
      series.norm.push(record.grad_norm);
      series.clipped.push(record.clipped_grad_norm);
      series.heat.push(record.grad_log10 ?? new Array(this.seqLen).fill(null));
      if (record.diverged) this.diverged[cell] = record.diverged_at;
    }
    this.schedule();
  }

  setRelative(relative) {
    this.relative = relative;
    this.schedule();
  }

  schedule() {
    if (this.pending || !window.Plotly) return;
    this.pending = true;
    window.requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  curve(cell, key, extra = {}) {
    const series = this.series[cell];
    const style = CELL_STYLE[cell];
    return {
      type: "scatter",
      mode: "lines+markers", // a cell that diverges early may leave a single point
      marker: { size: 3 },
      name: style.label,
      x: series.step,
      y: series[key],
      line: { color: style.color, width: 2 },
      connectgaps: false,
      ...extra,
    };
  }

  draw() {
    const { Plotly } = window;
    this.revision += 1;
    const range = [0, Math.max(this.steps, 1)];
    const chanceLine = {
      type: "line",
      xref: "paper",
      x0: 0,
      x1: 1,
      y0: this.chance,
      y1: this.chance,
      line: { color: "#52606d", dash: "dash", width: 1 },
    };
    const accuracy = layout("accuracy", { range: [0, 1.02] });
    accuracy.xaxis.range = range;
    accuracy.shapes = [chanceLine];
    accuracy.datarevision = this.revision;
    this.drawCurves("accuracy", this.cells.map((c) => this.curve(c, "accuracy")), accuracy);
    // Log scale: learning shows as decades of descent, and an exploding cell stays on the chart.
    const loss = this.cells.map((c) => ({ cell: c, key: "loss" }));
    this.drawLog("loss", "loss", loss, range);
    const norms = this.cells.flatMap((c) => [
      { cell: c, key: "norm" },
      { cell: c, key: "clipped", extra: { showlegend: false, line: { color: CELL_STYLE[c].color, width: 2, dash: "dot" } } },
    ]);
    this.drawLog("norm", "‖∂L/∂θ‖", norms, range);
    this.drawHeatmaps(range);
  }

  // A log chart of `curves` ({cell, key, extra}); exact zeros drawn as ▼ on the floor, and said.
  drawLog(name, yTitle, curves, range) {
    const values = curves.flatMap(({ cell, key }) => this.series[cell][key]);
    const { axis, floor } = logAxis(values);
    // Exact zeros stay in their curve (the legend is unchanged), drawn as ▼ on the floor.
    const traces = curves.map(({ cell, key, extra }) => {
      const trace = this.curve(cell, key, extra);
      if (floor === null || !trace.y.includes(0)) return trace;
      const values = trace.y;
      const zero = values.map((v) => v === 0);
      trace.y = values.map((v) => (v === 0 ? floor : v));
      trace.marker = {
        size: zero.map((z) => (z ? 9 : 3)),
        symbol: zero.map((z) => (z ? "triangle-down" : "circle")),
      };
      trace.cliponaxis = false;
      // The hover gives every point's value, the floor's as "exactly 0" (not the floor's height).
      trace.customdata = values.map((v) => (v === 0 ? "exactly 0" : v === null ? "" : v.toPrecision(4)));
      trace.hovertemplate = `step %{x}: %{customdata}<extra>${CELL_STYLE[cell].label}</extra>`;
      return trace;
    });
    const chart = layout(yTitle, axis);
    chart.xaxis.range = range;
    chart.datarevision = this.revision;
    this.drawCurves(name, traces, chart);
    this.notes[name].hidden = floor === null;
  }

  // A curve chart with its legend below the x-axis title: the bottom margin and the height grow
  // by the legend's measured height, so the plot keeps PLOT_PX and no legend row covers it.
  drawCurves(name, traces, chart) {
    const legend = this.cells.length ? this.legendPx[name] : 0;
    chart.margin = { ...chart.margin, b: AXIS_ROOM + legend };
    chart.height = 240 + legend;
    window.Plotly.react(this.nodes[name], traces, chart, config()).then(() => this.fitLegend(name));
  }

  // Redraw when the drawn legend's height is not the one its chart made room for.
  fitLegend(name) {
    const box = this.nodes[name].querySelector(".legend");
    if (!box || !this.nodes[name].offsetWidth) return; // no cells yet, or not on screen
    const height = Math.ceil(box.getBoundingClientRect().height);
    if (Math.abs(height - this.legendPx[name]) <= 1) return;
    this.legendPx[name] = height;
    this.schedule();
  }

  // A row as drawn: absolute log10 ‖∂L/∂s_t‖, or relative to the last position's state s_T.
  row(values) {
    if (!this.relative) return values;
    const last = values[values.length - 1];
    return values.map((v) => (v === null || last === null ? null : v - last));
  }

  drawHeatmaps(range) {
    const { Plotly } = window;
    const rows = Object.fromEntries(this.cells.map((c) => [c, this.series[c].heat.map((r) => this.row(r))]));
    let top = this.relative ? 0 : -Infinity;
    for (const cell of this.cells) {
      for (const row of rows[cell]) for (const v of row) if (v !== null && v > top) top = v;
    }
    if (!Number.isFinite(top)) top = 0;
    const positions = Array.from({ length: this.seqLen }, (_, i) => i + 1);
    const what = this.relative ? "log10 ‖∂L/∂s_t‖ / ‖∂L/∂s_T‖" : "log10 ‖∂L/∂s_t‖";
    for (const cell of this.cells) {
      const series = this.series[cell];
      // z[t][k]: position t (rows, first word at the bottom) after the k-th report (columns).
      const z = positions.map((_, t) => rows[cell].map((row) => row[t]));
      const diverged = this.diverged[cell];
      const title = CELL_STYLE[cell].label + (diverged ? ` (diverged at step ${diverged})` : "");
      const trace = {
        type: "heatmap",
        x: series.step,
        y: positions,
        z,
        zmin: top - HEAT_RANGE,
        zmax: top,
        colorscale: "Viridis",
        showscale: true,
        // One per heatmap, all on the same scale, each in its plot's equal right margin.
        colorbar: { title: { text: "log10" }, thickness: 12, len: 0.9, x: 1, xanchor: "right", xref: "container" },
        hovertemplate: `step %{x}<br>position %{y}<br>${what} = %{z:.2f}<extra></extra>`,
      };
      const heat = layout("position t");
      heat.title = { text: title, font: { size: 13 }, x: 0.02, y: 0.97 };
      heat.margin = { l: 56, r: HEAT_RIGHT, t: 28, b: AXIS_ROOM };
      heat.xaxis.range = range;
      heat.showlegend = false;
      heat.datarevision = this.revision;
      Plotly.react(document.getElementById(`lab-heatmap-${cell}`), [trace], heat, config());
    }
  }
}
