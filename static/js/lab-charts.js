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
const CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };

function layout(yTitle, extra = {}) {
  return {
    font: FONT,
    margin: { l: 56, r: 12, t: 8, b: 40 },
    height: 240,
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "#ffffff",
    xaxis: { title: { text: "training step" }, zeroline: false },
    yaxis: { title: { text: yTitle }, zeroline: false, ...extra },
    legend: { orientation: "h", y: 1.12, x: 0 },
    showlegend: true,
    datarevision: 0,
  };
}

export class LabCharts {
  constructor({ accuracy, loss, norm, heatmaps }) {
    this.nodes = { accuracy, loss, norm };
    this.heatmaps = heatmaps;
    this.pending = false;
    this.revision = 0; // Plotly.react redraws only when this changes: the arrays grow in place
    this.relative = true; // heatmap rows relative to the last position, or absolute
    this.reset([], 0, 0, 0.5);
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
    Plotly.react(this.nodes.accuracy, this.cells.map((c) => this.curve(c, "accuracy")), accuracy, CONFIG);
    // Log scale: learning shows as decades of descent, and an exploding cell stays on the chart.
    const loss = layout("loss", { type: "log", exponentformat: "power" });
    loss.xaxis.range = range;
    loss.datarevision = this.revision;
    Plotly.react(this.nodes.loss, this.cells.map((c) => this.curve(c, "loss")), loss, CONFIG);
    const norm = layout("‖∂L/∂θ‖", { type: "log", exponentformat: "power" });
    norm.xaxis.range = range;
    norm.datarevision = this.revision;
    const norms = this.cells.flatMap((c) => [
      this.curve(c, "norm"),
      this.curve(c, "clipped", { showlegend: false, line: { color: CELL_STYLE[c].color, width: 2, dash: "dot" } }),
    ]);
    Plotly.react(this.nodes.norm, norms, norm, CONFIG);
    this.drawHeatmaps(range);
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
    this.cells.forEach((cell, index) => {
      const series = this.series[cell];
      // z[t][k]: position t (rows, first word at the bottom) after the k-th report (columns).
      const z = positions.map((_, t) => rows[cell].map((row) => row[t]));
      const last = index === this.cells.length - 1;
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
        showscale: last,
        colorbar: { title: { text: "log10" }, thickness: 12, len: 0.9 },
        hovertemplate: `step %{x}<br>position %{y}<br>${what} = %{z:.2f}<extra></extra>`,
      };
      const heat = layout("position t");
      heat.title = { text: title, font: { size: 13 }, x: 0.02, y: 0.97 };
      heat.margin = { l: 56, r: 12, t: 28, b: 40 };
      heat.xaxis.range = range;
      heat.showlegend = false;
      heat.datarevision = this.revision;
      Plotly.react(document.getElementById(`lab-heatmap-${cell}`), [trace], heat, CONFIG);
    });
  }
}
