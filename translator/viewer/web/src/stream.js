// The WebSocket client of /stream: subscribe, take the snapshot then the live readings,
// send commands and follow their status. Reconnects with backoff; resubscribes after drops.
// The same protocol a Unity or Unreal client speaks (docs/stream.md, docs/engines.md).

export const FINAL_STATUSES = Object.freeze(['confirmed', 'failed', 'timed-out']);

/** ws(s)://… for a path relative to the page (http → ws, https → wss), with the token. */
export function streamUrl(relative, base, token = null) {
  const url = new URL(relative, base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  if (token) url.searchParams.set('access_token', token);
  return url.toString();
}

export class StreamClient {
  /**
   * @param {string} url ws:// URL of /stream
   * @param {object} handlers onSnapshot(readings, complete), onReading(message),
   *   onCommand(id, status, frame), onState('connecting'|'live'|'closed', detail)
   * @param {object} [options] subscribe: the subscribe request's filters; WebSocketImpl
   */
  constructor(url, handlers, { subscribe = {}, WebSocketImpl = globalThis.WebSocket } = {}) {
    this.url = url;
    this.handlers = handlers;
    this.subscribe = subscribe;
    this.WebSocketImpl = WebSocketImpl;
    this.socket = null;
    this.retryMs = 500;
    this.closed = false;
    this.counter = 0;
    this.commands = new Map(); // id → latest status
  }

  connect() {
    this.closed = false;
    this.#state('connecting');
    const socket = new this.WebSocketImpl(this.url);
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.retryMs = 500;
      this.#send({ type: 'subscribe', ...this.subscribe });
    });
    socket.addEventListener('message', (event) => this.#receive(event.data));
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.#state('closed', event.reason || `code ${event.code}`);
      if (!this.closed) setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 5000);
    });
  }

  close() {
    this.closed = true;
    if (this.socket) this.socket.close(1000, 'bye');
  }

  /** Send a command; returns its id (status frames carry it back). */
  command(thing, name, value) {
    this.counter += 1;
    const id = `viewer-${Date.now().toString(36)}-${this.counter}`;
    this.commands.set(id, 'requested');
    const sent = this.#send({ type: 'command', thing, name, value, id });
    if (!sent) this.#command(id, 'failed', { reason: 'not connected to the stream' });
    return id;
  }

  #send(request) {
    if (!this.socket || this.socket.readyState !== 1) return false;
    this.socket.send(JSON.stringify(request));
    return true;
  }

  #receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    switch (frame.type) {
      case 'snapshot':
      case 'replay':
        this.handlers.onSnapshot?.(frame.readings, frame.complete !== false);
        if (frame.complete !== false) this.#state('live');
        break;
      case 'reading':
        this.handlers.onReading?.(frame.reading);
        break;
      case 'readings':
        for (const reading of frame.readings) this.handlers.onReading?.(reading);
        break;
      case 'dropped': // we missed messages: a fresh snapshot puts us right again
        this.#send({ type: 'subscribe', ...this.subscribe });
        break;
      case 'command-status':
        if (frame.id) this.#command(frame.id, frame.status, frame);
        break;
      case 'error':
        if (frame.id && this.commands.has(frame.id)) this.#command(frame.id, 'failed', frame);
        else this.handlers.onState?.('error', frame.reason);
        break;
      default:
        break;
    }
  }

  /** A status learnt elsewhere (the command's record over HTTP): reported like a frame. */
  update(id, status, frame) {
    this.#command(id, status, frame);
  }

  #command(id, status, frame) {
    const current = this.commands.get(id);
    if (current && FINAL_STATUSES.includes(current)) return; // a late "sent" changes nothing
    this.commands.set(id, status);
    this.handlers.onCommand?.(id, status, frame);
  }

  #state(state, detail = '') {
    this.handlers.onState?.(state, detail);
  }
}
