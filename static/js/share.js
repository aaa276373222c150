// Sharing: copy a link or an embed snippet, download the result, and (in /embed) report the
// widget's height to the page that frames it.

import { toQuery } from "./state.js";

const EMBED_VIEW = { controls: "w_rec", panels: "unrolled,readout,grad" };
const RESIZE_MESSAGE = "rnn-gradient-flow:resize";

function withQuery(base, query) {
  const url = new URL(base);
  url.search = query;
  return url.toString();
}

/** The <iframe> snippet for a course page: the current state in /embed. */
export function embedSnippet(config, state) {
  const src = withQuery(config.urls.embed, toQuery(state, EMBED_VIEW));
  const escaped = src.replace(/&/g, "&amp;").replace(/"/g, "&quot;");
  return `<iframe src="${escaped}" title="RNN gradient flow" width="100%" height="560" style="border:0" loading="lazy"></iframe>`;
}

async function copy(text, status, output, what) {
  output.value = text;
  try {
    await navigator.clipboard.writeText(text);
    status.textContent = `${what} copied.`;
    output.hidden = true;
  } catch {
    // No clipboard permission (an insecure origin, say): show the text, selected, to copy by hand.
    status.textContent = `Copy the ${what.toLowerCase()} below.`;
    output.hidden = false;
    output.select();
  }
}

export function initSharing({ config, getState, getResult, downloadJson, downloadCsv }) {
  const status = document.getElementById("share-status");
  const output = document.getElementById("share-output");
  const on = (id, handler) => document.getElementById(id)?.addEventListener("click", handler);
  on("copy-link", () => copy(window.location.href, status, output, "Link"));
  on("copy-embed", () => copy(embedSnippet(config, getState()), status, output, "Embed code"));
  const stem = () => `rnn-gradient-flow-${getState().cell}-w${getState().w_rec}`;
  on("download-json", () => getResult() && downloadJson(getResult(), stem()));
  on("download-csv", () => getResult() && downloadCsv(getResult(), stem()));
}

/** Keep the "Open full view" link current and post the height whenever it changes. */
export function initEmbed({ config, getState }) {
  const link = document.getElementById("open-full");
  const refreshLink = () => {
    if (link) link.href = withQuery(config.urls.page, toQuery(getState()));
  };
  let last = 0;
  const report = () => {
    refreshLink();
    const height = Math.ceil(document.body.getBoundingClientRect().height);
    if (height === last || window.parent === window) return;
    last = height;
    // Only a height is sent, so any framing origin may receive it.
    window.parent.postMessage({ type: RESIZE_MESSAGE, height }, "*");
  };
  new ResizeObserver(report).observe(document.body);
  window.addEventListener("popstate", refreshLink);
  document.addEventListener("change", refreshLink);
  report();
}
