// The form: every element with `data-field` edits the state field of that name.

import { coerce, field } from "./state.js";

function controlsOf(form) {
  return form ? [...form.querySelectorAll("[data-field]")] : [];
}

function displayValue(value) {
  if (value === null || value === undefined) return "";
  return Array.isArray(value) ? value.join(", ") : String(value);
}

/** Show a state in the form (without firing events). */
export function syncControls(form, state) {
  for (const element of controlsOf(form)) {
    const value = state[element.dataset.field];
    // Edits are committed on change, so rewriting a focused field never fights the typist.
    if (element.type === "checkbox") element.checked = Boolean(value);
    else element.value = displayValue(value);
  }
  updateAvailability(form, state);
}

/** Grey out what does not apply to this cell, and say why in the control's title. */
export function updateAvailability(form, state) {
  if (!form) return;
  const rules = {
    activation: [state.cell === "rnn", "LSTM and GRU use their own activations"],
    forget_bias: [state.cell === "lstm", "Only the LSTM has a forget gate"],
    seq_len: [!state.inputs, "Set by the explicit inputs"],
    input_pattern: [!state.inputs, "Replaced by the explicit inputs"],
  };
  for (const [name, [enabled, reason]] of Object.entries(rules)) {
    const element = form.querySelector(`[data-field="${name}"]`);
    if (!element) continue;
    element.disabled = !enabled;
    element.closest(".control")?.classList.toggle("is-disabled", !enabled);
    element.title = enabled ? "" : reason;
  }
}

/** Listen to the form. `onEdit(name, value, {discrete, element})` gets clamped, typed values:
 * continuous while a slider is dragged, discrete when a value is committed. */
export function bindControls(form, onEdit) {
  for (const element of controlsOf(form)) {
    const f = field(element.dataset.field);
    if (!f) continue;
    const read = () => (element.type === "checkbox" ? element.checked : coerce(f, element.value));
    if (element.type === "range") {
      element.addEventListener("input", () => onEdit(f.name, read(), { discrete: false, element }));
    }
    element.addEventListener("change", () => {
      const value = read();
      if (f.type === "numbers" && value === null && element.value.trim() !== "") {
        onEdit(f.name, value, { discrete: true, element, invalid: "Explicit inputs: give numbers separated by commas." });
        return;
      }
      // Write the clamped value back, so the control shows what is actually computed.
      if (element.type !== "checkbox") element.value = displayValue(value);
      onEdit(f.name, value, { discrete: true, element });
    });
  }
}
