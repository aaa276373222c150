// Downloads of the current result: the API's JSON as is, and a per-step CSV table.

function save(filename, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  // Revoked later: some browsers read the blob after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

const cellText = (value) => (value === null || value === undefined ? "" : String(value));

/** One row a step: t, inputs, hidden units, gradients, and for LSTM/GRU cell state and gates. */
export function resultToCsv(result) {
  const T = result.grad_log10.length;
  const columns = [["t", (i) => i + 1]];
  const perUnit = (prefix, rows) => {
    if (!rows || !rows.length) return;
    rows[0].forEach((_, unit) => columns.push([`${prefix}_${unit + 1}`, (i) => rows[i][unit]]));
  };
  perUnit("x", result.inputs);
  perUnit("h", result.hidden);
  for (const key of ["grad_log10", "grad_norm", "input_grad_log10", "step_bound_log10", "cell_grad_log10"]) {
    if (Array.isArray(result[key])) columns.push([key, (i) => result[key][i]]);
  }
  perUnit("c", result.cell_state);
  for (const [gate, rows] of Object.entries(result.gates ?? {})) perUnit(`gate_${gate}`, rows);
  const lines = [columns.map(([name]) => name).join(",")];
  for (let i = 0; i < T; i += 1) lines.push(columns.map(([, value]) => cellText(value(i))).join(","));
  return `${lines.join("\n")}\n`;
}

export function downloadJson(result, stem) {
  save(`${stem}.json`, JSON.stringify(result, null, 1), "application/json");
}

export function downloadCsv(result, stem) {
  save(`${stem}.csv`, resultToCsv(result), "text/csv");
}
