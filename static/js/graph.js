// The SVG drawings: the rolled neuron with its loop, and the unrolled chain, which plays the
// stream's forward steps left to right and its backward steps right to left.

import { formatGradient, formatNumber, subscript, superscript } from "./format.js";

const SVG_NS = "http://www.w3.org/2000/svg";
export const COMPACT_BEYOND = 40; // steps; longer chains become a strip
export const GRAD_DECADES = 6; // the colour scale spans 10^-6 … 10^6

// Viridis (perceptually uniform, colour-blind safe), eleven stops.
const VIRIDIS = ["#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c",
  "#22a884", "#44bf70", "#7ad151", "#bddf26", "#fde725"];
// Purple–orange diverging scale for signed hidden values (also colour-blind safe).
const DIVERGING = ["#5e3c99", "#b2abd2", "#f7f7f7", "#fdb863", "#e66101"];

function svg(name, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (parent) parent.appendChild(node);
  return node;
}

function hexToRgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function interpolate(stops, u) {
  const x = Math.min(1, Math.max(0, u)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const a = hexToRgb(stops[i]);
  const b = hexToRgb(stops[i + 1]);
  const mix = a.map((c, k) => Math.round(c + (b[k] - c) * (x - i)));
  return `rgb(${mix.join(",")})`;
}

/** Position of a log10 gradient on the colour scale, 0 … 1. */
export function gradPosition(log10) {
  return (Math.min(GRAD_DECADES, Math.max(-GRAD_DECADES, log10)) + GRAD_DECADES) / (2 * GRAD_DECADES);
}

export const gradColor = (log10) => interpolate(VIRIDIS, gradPosition(log10));
// tanh squashes unbounded (linear) hidden values into the scale; the title keeps the number.
const hiddenColor = (value) => interpolate(DIVERGING, (Math.tanh(value) + 1) / 2);

function mean(values) {
  if (!values || values.length === 0 || values.some((v) => v === null)) return null;
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Width and colour of an edge from the log10 gradient that crossed it; dashed when exactly zero. */
function paintEdge(edge, log10) {
  if (!edge) return;
  edge.classList.toggle("edge-zero", log10 === null);
  edge.style.stroke = log10 === null ? "" : gradColor(log10);
  edge.style.strokeWidth = log10 === null ? "" : String(1 + 6 * gradPosition(log10));
}

function paintFill(rect, log10) {
  rect.classList.toggle("is-zero", log10 === null);
  rect.style.fill = log10 === null ? "" : gradColor(log10);
}

function setTitle(node, text) {
  let title = node.querySelector(":scope > title");
  if (!title) title = svg("title", {}, node);
  title.textContent = text;
}

/** The rolled neuron: x enters through W1, h loops back into itself through W2. */
export class RolledNeuron {
  constructor(root, { reducedMotion }) {
    this.root = root;
    const defs = svg("defs", {}, root);
    const marker = svg("marker", { id: "rolled-arrow", viewBox: "0 0 10 10", refX: "9", refY: "5",
      markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" }, defs);
    svg("path", { d: "M0 0 L10 5 L0 10 z", class: "arrow-head" }, marker);
    const loopPath = "M137 80 C 196 10, 44 10, 103 80";
    this.loop = svg("path", { id: "rolled-loop", d: loopPath, class: "loop", "marker-end": "url(#rolled-arrow)" }, root);
    svg("line", { x1: "48", y1: "95", x2: "92", y2: "95", class: "edge-static", "marker-end": "url(#rolled-arrow)" }, root);
    svg("line", { x1: "144", y1: "95", x2: "188", y2: "95", class: "edge-static", "marker-end": "url(#rolled-arrow)" }, root);
    svg("rect", { x: "14", y: "81", width: "30", height: "28", rx: "5", class: "input-node" }, root);
    svg("text", { x: "29", y: "100", class: "node-label" }, root).textContent = "x";
    this.node = svg("circle", { cx: "120", cy: "95", r: "24", class: "hidden-node" }, root);
    this.nodeLabel = svg("text", { x: "120", y: "100", class: "node-label" }, root);
    this.nodeLabel.textContent = "h";
    svg("circle", { cx: "208", cy: "95", r: "16", class: "output-node" }, root);
    svg("text", { x: "208", y: "100", class: "node-label" }, root).textContent = "ŷ";
    this.w1 = svg("text", { x: "68", y: "118", class: "weight-label" }, root);
    this.w2 = svg("text", { x: "120", y: "16", class: "weight-label weight-label-loop" }, root);
    this.caption = svg("text", { x: "120", y: "148", class: "rolled-caption" }, root);
    this.pulse = svg("circle", { r: "5", class: "pulse" }, root);
    this.reducedMotion = reducedMotion;
    if (!reducedMotion) {
      const motion = svg("animateMotion", { dur: "1.6s", repeatCount: "indefinite" }, this.pulse);
      svg("mpath", { href: "#rolled-loop" }, motion);
      this.pulseSize = svg("animate", { attributeName: "r", dur: "1.6s", repeatCount: "indefinite",
        values: "5;5" }, this.pulse);
    } else {
      this.pulse.setAttribute("cx", "120");
      this.pulse.setAttribute("cy", "27");
    }
  }

  /** Show the weights and the last hidden value; the pulse grows or shrinks by W2 per loop. */
  update(state, result) {
    const wRec = state.w_rec;
    this.w1.textContent = `W1 = ${formatNumber(state.w_in)}`;
    this.w2.textContent = `× W2 = ${formatNumber(wRec)}`;
    const end = 5 * Math.min(2.6, Math.max(0.15, Math.abs(wRec)));
    if (this.pulseSize) this.pulseSize.setAttribute("values", `5;${end.toFixed(2)}`);
    else this.pulse.setAttribute("r", end.toFixed(2));
    this.pulse.classList.toggle("pulse-grows", Math.abs(wRec) > 1.01);
    this.pulse.classList.toggle("pulse-fades", Math.abs(wRec) < 0.99);
    const cellName = { rnn: "vanilla RNN", lstm: "LSTM", gru: "GRU" }[state.cell];
    const figure = this.root.closest("figure");
    for (const caption of figure ? figure.querySelectorAll("[data-cells]") : []) {
      caption.hidden = !caption.dataset.cells.split(" ").includes(state.cell);
    }
    this.caption.textContent = state.cell === "rnn" ? `${cellName}, f = ${state.activation}` : cellName;
    if (result && result.hidden.length) {
      const last = mean(result.hidden[result.hidden.length - 1]);
      this.node.style.fill = last === null ? "" : hiddenColor(last);
      setTitle(this.node, `h${subscript(result.hidden.length)} = ${formatNumber(last)}`);
    }
  }
}

function html(name, className, parent) {
  const node = document.createElement(name);
  node.className = className;
  parent.appendChild(node);
  return node;
}

/** The colour scales, as HTML beside the chain: text in an SVG shrinks with its width, which
 * on a phone left these labels about 7 px tall. */
function drawLegend(root) {
  const bars = [
    { stops: DIVERGING, label: "h", ticks: ["−1", "0", "+1"] },
    { stops: VIRIDIS, label: "‖∂L/∂h‖",
      ticks: [`10${superscript(-GRAD_DECADES)}`, "1", `10${superscript(GRAD_DECADES)}`] },
  ];
  for (const bar of bars) {
    const scale = html("div", "legend-scale", root);
    html("span", "legend-label", scale).textContent = bar.label;
    const track = html("div", "legend-track", scale);
    html("div", "legend-bar", track).style.background = `linear-gradient(to right, ${bar.stops.join(", ")})`;
    const ticks = html("div", "legend-ticks", track);
    for (const tick of bar.ticks) html("span", "legend-tick", ticks).textContent = tick;
  }
}

/** The unrolled chain: one group per step (`data-t`), played by the stream's frames. */
export class UnrolledGraph {
  constructor(root, legend, { reducedMotion }) {
    this.root = root;
    this.reducedMotion = reducedMotion;
    this.layoutKey = null;
    this.steps = [];
    this.queue = [];
    this.frame = null;
    this.current = null;
    if (legend) drawLegend(legend);
    // The strip's labels keep their size on screen however far its viewBox is scaled (a phone
    // shows the 1000-unit strip at about 560 px): CSS divides their font size by this scale.
    if (typeof ResizeObserver === "function") {
      new ResizeObserver(() => this.rescale()).observe(root);
    }
  }

  rescale() {
    const width = this.root.viewBox.baseVal ? this.root.viewBox.baseVal.width : 0;
    const shown = this.root.getBoundingClientRect().width;
    if (width > 0 && shown > 0) this.root.style.setProperty("--svg-scale", String(shown / width));
  }

  /** Start a run: rebuild only when the shape changed, so dragging keeps the same elements. */
  begin({ T, loss, bidirectional, animate }) {
    const key = `${T}|${loss}|${bidirectional}`;
    if (key !== this.layoutKey) {
      this.build(T, loss, bidirectional);
      this.layoutKey = key;
    }
    this.T = T;
    this.bidirectional = bidirectional;
    this.queue = [];
    this.animate = animate && !this.reducedMotion;
    this.startedAt = null;
    this.applied = 0;
    this.done = false;
    this.root.dataset.state = "running";
  }

  /** Queue one step of a pass ("forward" or "backward"); it is drawn now or in its turn. */
  push(pass, step) {
    this.queue.push([pass, step]);
    if (!this.animate) this.drain(Infinity);
    else if (this.frame === null) this.frame = requestAnimationFrame((now) => this.tick(now));
  }

  /** The run is complete: draw the inputs, and settle once the queue has played out. */
  finish(result) {
    this.inputs = result.inputs;
    this.drawInputs();
    this.done = true;
    if (this.queue.length === 0) this.settle();
  }

  tick(now) {
    this.frame = null;
    if (this.startedAt === null) this.startedAt = now;
    // Both passes take about 1.4 s whatever T is: the wave's speed, not its length, adapts.
    const due = Math.ceil(((now - this.startedAt) / 1400) * 2 * this.T) - this.applied;
    if (due > 0) this.drain(due);
    if (this.queue.length) this.frame = requestAnimationFrame((t) => this.tick(t));
  }

  drain(limit) {
    let count = 0;
    while (this.queue.length && count < limit) {
      const [pass, step] = this.queue.shift();
      if (pass === "forward") this.drawForward(step);
      else this.drawBackward(step);
      count += 1;
    }
    this.applied += count;
    if (this.queue.length === 0 && this.done) this.settle();
  }

  /** The run was refused: stop playing it; nothing of it will come. */
  abandon() {
    this.queue = [];
    this.done = true;
    this.highlight(null);
    this.root.dataset.state = "refused";
  }

  settle() {
    this.highlight(null);
    this.root.dataset.state = "done";
  }

  highlight(t) {
    if (this.current) this.current.g.classList.remove("is-current");
    this.current = t === null ? null : this.steps[t - 1];
    if (this.current && this.animate) this.current.g.classList.add("is-current");
  }

  build(T, loss, bidirectional) {
    for (const child of [...this.root.children]) if (child.tagName !== "title") child.remove();
    this.steps = [];
    this.compact = T > COMPACT_BEYOND;
    this.root.classList.toggle("is-compact", this.compact);
    if (this.compact) this.buildStrip(T);
    else this.buildChain(T, loss, bidirectional);
    this.rescale();
  }

  buildChain(T, loss, bidirectional) {
    const STEP = 60;
    const LEFT = 16;
    const rowY = { out: 22, h: 80, x: 138, back: 196, backOut: 252 };
    // Loss "last" sums the forward h_T and the backward h'_1, the backward chain's end: that
    // term gets its own output node under h'_1.
    const backLast = bidirectional && loss !== "all";
    const height = bidirectional ? (backLast ? 276 : 222) : 164;
    this.root.setAttribute("viewBox", `0 0 ${LEFT * 2 + T * STEP} ${height}`);
    this.root.style.minWidth = `${Math.max(280, T * 44)}px`;
    const defs = svg("defs", {}, this.root);
    const marker = svg("marker", { id: "unrolled-arrow", viewBox: "0 0 10 10", refX: "8", refY: "5",
      markerWidth: "9", markerHeight: "9", markerUnits: "userSpaceOnUse", orient: "auto-start-reverse" }, defs);
    svg("path", { d: "M0 0 L10 5 L0 10 z", class: "arrow-head" }, marker);
    const arrow = { "marker-end": "url(#unrolled-arrow)" };
    const edgeLayer = svg("g", { class: "edges" }, this.root);
    for (let t = 1; t <= T; t += 1) {
      const cx = LEFT + (t - 0.5) * STEP;
      const g = svg("g", { class: "step", "data-t": t }, this.root);
      const refs = { g, t };
      refs.inputEdge = svg("line", { x1: cx, y1: rowY.x - 13, x2: cx, y2: rowY.h + 21, class: "edge", ...arrow }, edgeLayer);
      if (t < T) {
        refs.recEdge = svg("line", { x1: cx + 19, y1: rowY.h, x2: cx + STEP - 21, y2: rowY.h, class: "edge", ...arrow }, edgeLayer);
      }
      if (loss === "all" || t === T) {
        refs.outEdge = svg("line", { x1: cx, y1: rowY.h - 19, x2: cx, y2: rowY.out + 14, class: "edge edge-out", ...arrow }, edgeLayer);
        svg("circle", { cx, cy: rowY.out, r: 12, class: "output-node" }, g);
        svg("text", { x: cx, y: rowY.out + 4, class: "node-label node-label-small" }, g).textContent = `ŷ${subscript(t)}`;
      }
      refs.input = svg("rect", { x: cx - 12, y: rowY.x - 12, width: 24, height: 24, rx: 4, class: "input-node" }, g);
      svg("text", { x: cx, y: rowY.x + 4, class: "node-label node-label-small" }, g).textContent = `x${subscript(t)}`;
      refs.node = svg("circle", { cx, cy: rowY.h, r: 18, class: "hidden-node" }, g);
      refs.label = svg("text", { x: cx, y: rowY.h + 5, class: "node-label" }, g);
      refs.label.textContent = `h${subscript(t)}`;
      if (bidirectional) {
        refs.backInputEdge = svg("line", { x1: cx, y1: rowY.x + 13, x2: cx, y2: rowY.back - 19, class: "edge", ...arrow }, edgeLayer);
        if (t > 1) {
          refs.backRecEdge = svg("line", { x1: cx - 19, y1: rowY.back, x2: cx - STEP + 21, y2: rowY.back, class: "edge", ...arrow }, edgeLayer);
        }
        if (loss === "all") {
          // h'_t feeds the same ŷ_t as h_t: a curve past the right of x_t and h_t.
          const d = `M${cx + 12} ${rowY.back - 11} C${cx + 30} ${rowY.back - 50}, ${cx + 30} ${rowY.out + 40}, ${cx + 9} ${rowY.out + 9}`;
          refs.backOutEdge = svg("path", { d, class: "edge edge-out edge-out-back", ...arrow }, edgeLayer);
        } else if (t === 1) {
          refs.backOutEdge = svg("line", { x1: cx, y1: rowY.back + 17, x2: cx, y2: rowY.backOut - 13, class: "edge edge-out", ...arrow }, edgeLayer);
          const backOut = svg("circle", { cx, cy: rowY.backOut, r: 12, class: "output-node" }, g);
          svg("title", {}, backOut).textContent = `The backward chain ends at h′₁; loss "last" sums it with h${subscript(T)}`;
          svg("text", { x: cx, y: rowY.backOut + 4, class: "node-label node-label-small" }, g).textContent = `ŷ′${subscript(1)}`;
        }
        refs.backNode = svg("circle", { cx, cy: rowY.back, r: 16, class: "hidden-node hidden-node-back" }, g);
        svg("text", { x: cx, y: rowY.back + 4, class: "node-label node-label-small" }, g).textContent = `h′${subscript(t)}`;
      }
      svg("title", {}, g).textContent = `step ${t}`;
      this.steps.push(refs);
    }
  }

  buildStrip(T) {
    // Room for the row labels at 12 px on screen when the strip is drawn at its 560 px minimum.
    const LEFT = 120;
    const width = 1000 - LEFT - 8;
    const cell = width / T;
    this.root.setAttribute("viewBox", "0 0 1000 128");
    this.root.style.minWidth = "560px";
    svg("text", { x: LEFT - 8, y: 30, class: "row-label" }, this.root).textContent = "hidden h";
    svg("text", { x: LEFT - 8, y: 76, class: "row-label" }, this.root).textContent = "‖∂L/∂h‖";
    for (let t = 1; t <= T; t += 1) {
      const x = LEFT + (t - 1) * cell;
      const g = svg("g", { class: "step step-strip", "data-t": t }, this.root);
      // A hair of overlap hides anti-aliasing seams between neighbouring cells.
      const w = cell + 0.4;
      const node = svg("rect", { x, y: 10, width: w, height: 40, class: "strip-hidden" }, g);
      const gradCell = svg("rect", { x, y: 56, width: w, height: 40, class: "strip-grad" }, g);
      svg("title", {}, g).textContent = `step ${t}`;
      this.steps.push({ g, t, node, gradCell });
    }
    const tickStep = [10, 20, 50, 100, 200, 250, 500].find((s) => T / s <= 10) ?? 1000;
    for (let t = tickStep; t <= T; t += tickStep) {
      const x = LEFT + (t - 0.5) * cell;
      svg("line", { x1: x, y1: 98, x2: x, y2: 104, class: "tick" }, this.root);
      // The last label would hang over the right edge when centred: end it at its tick.
      const end = x > 1000 - 24 ? " tick-label-end" : "";
      svg("text", { x, y: 118, class: `tick-label${end}` }, this.root).textContent = String(t);
    }
    svg("text", { x: LEFT, y: 118, class: "tick-label tick-label-start" }, this.root).textContent = "t = 1";
  }

  drawForward(step) {
    const refs = this.steps[step.t - 1];
    if (!refs) return;
    this.highlight(step.t);
    const hidden = step.hidden ?? [];
    const half = this.bidirectional ? hidden.length / 2 : hidden.length;
    refs.hidden = mean(hidden.slice(0, half));
    refs.node.style.fill = refs.hidden === null ? "" : hiddenColor(refs.hidden);
    refs.node.classList.toggle("is-overflow", refs.hidden === null);
    if (refs.label) refs.label.classList.toggle("on-dark", refs.hidden !== null && Math.abs(Math.tanh(refs.hidden)) > 0.55);
    if (refs.backNode) {
      refs.back = mean(hidden.slice(half));
      refs.backNode.style.fill = refs.back === null ? "" : hiddenColor(refs.back);
    }
    refs.units = hidden.length;
    this.retitle(refs);
  }

  drawBackward(step) {
    const refs = this.steps[step.t - 1];
    if (!refs) return;
    this.highlight(step.t);
    refs.grad = step.grad_log10 ?? null;
    refs.inputGrad = step.input_grad_log10 ?? null;
    refs.cellGrad = step.cell_grad_log10 ?? null;
    if (this.compact) {
      paintFill(refs.gradCell, refs.grad);
    } else {
      // The gradient reaching h_t crossed the edge to h_(t+1) (or to ŷ_T): paint that edge.
      paintEdge(refs.recEdge ?? (this.steps.length === refs.t ? refs.outEdge : null), refs.grad);
      // The backward chain's h'_1 has no next step: its gradient crossed its output edge.
      paintEdge(refs.backRecEdge ?? (refs.t === 1 ? refs.backOutEdge : null), refs.grad);
      paintEdge(refs.inputEdge, refs.inputGrad);
      paintEdge(refs.backInputEdge, refs.inputGrad);
      refs.node.style.stroke = refs.grad === null ? "" : gradColor(refs.grad);
    }
    this.retitle(refs);
  }

  retitle(refs) {
    const t = subscript(refs.t);
    const parts = [`step ${refs.t}`];
    if (refs.hidden !== undefined) {
      const units = refs.units > 1 ? ` (mean of ${this.bidirectional ? refs.units / 2 : refs.units} units)` : "";
      parts.push(`h${t} = ${formatNumber(refs.hidden)}${units}`);
    }
    if (refs.back !== undefined) parts.push(`backward h′${t} = ${formatNumber(refs.back)}`);
    if (refs.grad !== undefined) parts.push(`‖∂L/∂h${t}‖ = ${formatGradient(refs.grad)}`);
    if (refs.cellGrad !== undefined && refs.cellGrad !== null) parts.push(`‖∂L/∂c${t}‖ = ${formatGradient(refs.cellGrad)}`);
    if (refs.inputGrad !== undefined) parts.push(`‖∂L/∂x${t}‖ = ${formatGradient(refs.inputGrad)}`);
    if (refs.x !== undefined) parts.push(`x${t} = ${formatNumber(refs.x)}`);
    setTitle(refs.g, parts.join(" · "));
  }

  drawInputs() {
    if (!this.inputs) return;
    this.steps.forEach((refs, i) => {
      const row = this.inputs[i];
      if (!row) return;
      refs.x = mean(row);
      if (refs.input) refs.input.style.fill = hiddenColor(refs.x);
      this.retitle(refs);
    });
  }
}
