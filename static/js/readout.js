// The plain-words readout: what the numbers mean, in the articles' language.

import { formatGradient, formatNumber, formatPow10, subscript } from "./format.js";

/** Why x_(k+1)'s factor is exactly zero. `stepsBack`: the W2 steps between it and its output. */
function zeroReason(state, stepsBack) {
  if (state.w_in === 0) return " (W1 = 0)";
  // A vanilla RNN's only path from xₖ to a later output crosses W2: at 0 it is cut, however
  // active the units are.
  if (state.cell === "rnn" && state.w_rec === 0 && stepsBack > 0) return " (W2 = 0)";
  if (state.cell === "rnn" && state.activation === "relu") return " (dead ReLU)";
  return "";
}

/** The headline: how much of the first nonzero input (x₁ unless the sequence starts with
 * zeros, as "The dogs ... were barking" does) reaches the output(s). */
export function influenceSentence(result, state) {
  const T = result.grad_log10.length;
  let target = state.loss === "all" ? `the loss over ŷ${subscript(1)} … ŷ${subscript(T)}` : `ŷ${subscript(T)}`;
  if (state.bidirectional && state.loss === "last") target = `the loss (h${subscript(T)} forward, h′${subscript(1)} backward)`;
  const first = (result.inputs ?? []).findIndex((row) => row.some((v) => v !== 0));
  const k = first < 0 ? 0 : first; // all zero: speak of x₁, whose factor still holds
  const log10 = result.input_grad_log10[k];
  // Only loss "last" on one chain lacks an output at or beside xₖ's own step.
  const stepsBack = state.loss === "last" && !state.bidirectional ? T - 1 - k : 0;
  const factor = log10 === null ? `exactly zero${zeroReason(state, stepsBack)}` : formatPow10(log10);
  return `x${subscript(k + 1)} reaches ${target} multiplied by ${factor}.`;
}

// What the factor per step back does to the gradient, by regime. "Stable" allows up to 1% a
// step, which still compounds over long chains: no "holds steady".
const FATE = { vanishing: "vanishes", exploding: "explodes", stable: "changes little from one step to the next" };

/** The mechanism: the factor per step back, and the gradient at both ends of the chain.
 * growth_per_step is always measured on the forward chain from the last step's loss; with a loss
 * on every step, or a backward chain, each hₜ also has outputs nearby, so the sentence says what
 * the factor does to a distant output's signal and gives the total gradient separately. */
export function growthSentence(result, state = {}) {
  const T = result.grad_log10.length;
  // One step: the loss sits on h₁ itself, so no factor per step back applies.
  if (T === 1) return "With one step there is no step back to multiply: the gradient reaches x₁ directly.";
  const growth = result.growth_per_step;
  const first = formatGradient(result.grad_log10[0]);
  const last = formatGradient(result.grad_log10[T - 1]);
  const ends = `${first} at h${subscript(1)} and ${last} at h${subscript(T)}`;
  const nearby = nearbyOutputs(state);
  if (!nearby) {
    if (growth === 0) return `The gradient dies on the way back: a step multiplies it by 0. The gradient is ${ends}.`;
    return `Each step back multiplies the gradient by about ${formatNumber(growth)}, so it ${FATE[result.regime]}. The gradient is ${ends}.`;
  }
  const chain = state.bidirectional ? "Along the forward chain" : "Along the chain";
  const factor = growth === 0 ? "0" : `about ${formatNumber(growth)}`;
  const fate = growth === 0 ? "dies" : FATE[result.regime];
  return `${chain} each step back multiplies the gradient by ${factor}, so a distant output's signal ${fate}; ${nearby}. The total gradient is ${ends}.`;
}

/** Why hₜ gets gradient from outputs near it as well ("" when only ŷ_T's loss reaches it). */
function nearbyOutputs(state) {
  if (state.bidirectional && state.loss === "all") return "with the backward chain and a loss on every step, each hₜ also has nearby outputs";
  if (state.bidirectional) return `the backward chain runs the other way, so h${subscript(1)} also has a nearby output (ŷ′${subscript(1)})`;
  if (state.loss === "all") return "with a loss on every step each hₜ also has nearby outputs";
  return "";
}

/** The remedy, when clipping is on. */
export function clippingSentence(result) {
  if (result.clipped_param_grad_norm === null || result.clipped_param_grad_norm === undefined) return "";
  const before = result.param_grad_log10 === null ? "zero" : formatPow10(result.param_grad_log10);
  return `Clipping rescales the parameter gradient from ${before} to ${formatNumber(result.clipped_param_grad_norm)}.`;
}

/** "× 0.1 per step back", shown beside the regime. */
export function growthBadge(result) {
  if (result.grad_log10.length === 1) return "no step back (T = 1)";
  return `× ${formatNumber(result.growth_per_step)} per step back`;
}
