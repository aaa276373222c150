// Talking to the server: JSON over fetch, and the WebSocket stream (latest wins, reconnects).

/** An API answer that is not 2xx; `message` is written for the user. */
export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/** Turn FastAPI's 422 `detail` (a list of {loc, msg}) or a plain string into one readable line. */
export function describeDetail(detail) {
  if (typeof detail === "string") return detail;
  if (!Array.isArray(detail)) return "The server could not use these settings.";
  return detail
    .map((item) => {
      const loc = Array.isArray(item.loc) ? item.loc.filter((p) => !["body", "query", "params"].includes(p)) : [];
      return loc.length ? `${loc.join(".")}: ${item.msg}` : String(item.msg);
    })
    .join("; ");
}

async function requestJson(url, options = {}) {
  const response = await fetch(url, { headers: { Accept: "application/json" }, ...options });
  if (response.ok) return response.json();
  let message = `The server answered ${response.status}.`;
  try {
    const payload = await response.json();
    if (payload && payload.detail !== undefined) message = describeDetail(payload.detail);
  } catch {
    // Not JSON: keep the status line.
  }
  if (response.status === 503) message = "The server is busy; try again in a moment.";
  throw new ApiError(message, response.status);
}

function postJson(url, body, signal) {
  return requestJson(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
    signal,
  });
}

export const postSimulate = (urls, body, signal) => postJson(urls.simulate, body, signal);
export const postSweep = (urls, body, signal) => postJson(urls.sweep, body, signal);
export const getPresets = (urls) => requestJson(urls.presets);

const FRAME_META = new Set(["type", "id", "t"]);

/** Split a stream frame into one object per step, each with its own `t`. A one-step frame holds
 * `hidden` as H numbers and `grad_log10` as one number; a several-step frame holds lists of those,
 * starting at `t` in the order of its pass (forward ascending, backward descending). */
export function splitFrame(frame) {
  const forward = frame.type === "forward";
  const probe = forward ? frame.hidden : frame.grad_log10;
  const several = forward ? Array.isArray(probe) && Array.isArray(probe[0]) : Array.isArray(probe);
  const count = several ? probe.length : 1;
  const direction = forward ? 1 : -1;
  const steps = [];
  for (let i = 0; i < count; i += 1) {
    const step = { t: frame.t + direction * i };
    for (const [key, value] of Object.entries(frame)) {
      if (FRAME_META.has(key)) continue;
      if (key === "gates" && value) {
        step.gates = Object.fromEntries(
          Object.entries(value).map(([gate, rows]) => [gate, several ? rows[i] : rows]),
        );
      } else {
        step[key] = several && Array.isArray(value) ? value[i] : value;
      }
    }
    steps.push(step);
  }
  return steps;
}

/** The WebSocket stream of contract section 3. Only the newest request's frames reach the
 * handlers; the socket reconnects with backoff, and `simulate` returns false while it is down
 * so that the caller can fall back to POST. */
export class SimulationStream {
  constructor(url, handlers) {
    this.url = url;
    // {forward(frame), backward(frame), done(id, result), error(id, detail), closed(id), status(state)}
    this.handlers = handlers;
    this.socket = null;
    this.latestId = null;
    this.nextId = 1;
    this.retryMs = 500;
    this.stopped = false;
    this.retryTimer = null;
  }

  get isOpen() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  connect() {
    if (this.stopped) return;
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.retryMs = 500;
      this.handlers.status("open");
    });
    socket.addEventListener("message", (event) => this.receive(event.data));
    socket.addEventListener("close", () => {
      const pending = this.latestId;
      this.socket = null;
      this.handlers.status("closed");
      this.latestId = null;
      if (pending !== null) this.handlers.closed(pending);
      this.scheduleReconnect();
    });
    // An error is always followed by close, which handles it.
    socket.addEventListener("error", () => {});
  }

  scheduleReconnect() {
    if (this.stopped || this.retryTimer !== null) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 10000);
  }

  /** Send a request; the returned id identifies its frames. False when the socket is down. */
  simulate(params) {
    if (!this.isOpen) return false;
    const id = `s${this.nextId++}`;
    this.latestId = id;
    this.socket.send(JSON.stringify({ type: "simulate", id, params }));
    return id;
  }

  receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (!frame || frame.id !== this.latestId) return; // superseded: latest wins
    if (frame.type === "forward") this.handlers.forward(frame);
    else if (frame.type === "backward") this.handlers.backward(frame);
    else if (frame.type === "done") {
      this.latestId = null;
      this.handlers.done(frame.id, frame.result);
    } else if (frame.type === "error") {
      this.latestId = null;
      // The stream adds FastAPI-style `errors` (with the field's name) to its one-line detail.
      this.handlers.error(frame.id, describeDetail(frame.errors ?? frame.detail));
    }
  }

  close() {
    this.stopped = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    if (this.socket) this.socket.close();
  }
}
