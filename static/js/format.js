// Numbers for people: powers of ten with superscript exponents, from log10 values that may be
// far beyond float range (the engine reports exponents, not the numbers themselves).

const SUPERSCRIPT = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };

export function superscript(integer) {
  return String(integer)
    .split("")
    .map((c) => SUPERSCRIPT[c] ?? c)
    .join("");
}

/** 10^log10 written for reading: "0.0001", "16", "1.2 × 10⁻⁵", "3.4 × 10¹⁹⁹⁹". */
export function formatPow10(log10, { sign = 1 } = {}) {
  if (log10 === null || log10 === undefined || !Number.isFinite(log10)) return null;
  const prefix = sign < 0 ? "−" : "";
  if (log10 > -4.5 && log10 < 4.5) {
    const plain = Number((10 ** log10).toPrecision(2));
    return prefix + plain.toLocaleString("en-US", { maximumSignificantDigits: 2, useGrouping: false });
  }
  let exponent = Math.floor(log10);
  let mantissa = 10 ** (log10 - exponent);
  if (Number(mantissa.toFixed(1)) >= 10) {
    mantissa = 1;
    exponent += 1;
  }
  return `${prefix}${mantissa.toFixed(1)} × 10${superscript(exponent)}`;
}

/** A plain float (a hidden value or a weight) in a short readable form. */
export function formatNumber(value) {
  if (value === null || value === undefined) return "beyond float range";
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (magnitude >= 1e4 || magnitude < 1e-3) {
    return formatPow10(Math.log10(magnitude), { sign: Math.sign(value) });
  }
  return Number(value.toPrecision(3)).toString().replace("-", "−");
}

/** log10 ‖…‖ as a readable magnitude, or the reason it has none. */
export function formatGradient(log10) {
  return log10 === null || log10 === undefined ? "exactly zero" : formatPow10(log10);
}

/** Subscript digits for labels such as h₁₂ and ŷ₂₀. */
export function subscript(integer) {
  const digits = "₀₁₂₃₄₅₆₇₈₉";
  return String(integer)
    .split("")
    .map((c) => digits[Number(c)] ?? c)
    .join("");
}
