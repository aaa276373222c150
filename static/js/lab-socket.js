// WS /api/v1/train: one socket, opened on the first start; frames go to the handlers by type.

export class TrainSocket {
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers; // started, progress, done, error, closed
    this.socket = null;
  }

  connect() {
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) return this.socket;
    const socket = new WebSocket(this.url);
    socket.addEventListener("message", (event) => this.dispatch(event.data));
    socket.addEventListener("close", () => {
      if (this.socket === socket) this.socket = null;
      this.handlers.closed();
    });
    this.socket = socket;
    return socket;
  }

  dispatch(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      this.handlers.error({ detail: "the server sent something that is not JSON" });
      return;
    }
    const handler = this.handlers[frame.type];
    if (handler) handler(frame);
  }

  send(message) {
    const socket = this.connect();
    const text = JSON.stringify(message);
    if (socket.readyState === WebSocket.OPEN) socket.send(text);
    else socket.addEventListener("open", () => socket.send(text), { once: true });
  }

  start(params) {
    this.send({ type: "start", params });
  }

  stop() {
    if (this.socket) this.send({ type: "stop" });
  }
}
