// A small client of the graphql-transport-ws protocol (the one the gateway speaks on
// ws://<host>/graphql): one socket per key, opened on the first subscription, the key sent in
// connection_init. Used by the console and by the GraphiQL page.

const PROTOCOL = "graphql-transport-ws";

export function socketUrl(path = "/graphql") {
  const url = new URL(path, window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

export class GraphQLSocket {
  constructor(url, authorization) {
    this.url = url;
    this.authorization = authorization;
    this.socket = null;
    this.ready = null;
    this.nextId = 1;
    this.sinks = new Map(); // operation id -> {next, error, complete}
  }

  connect() {
    if (this.ready) return this.ready;
    this.ready = new Promise((resolve, reject) => {
      const socket = new WebSocket(this.url, PROTOCOL);
      this.socket = socket;
      let acknowledged = false;
      socket.onopen = () => {
        socket.send(JSON.stringify({
          type: "connection_init",
          payload: { Authorization: this.authorization },
        }));
      };
      socket.onmessage = (event) => {
        const message = JSON.parse(event.data);
        if (message.type === "connection_ack") {
          acknowledged = true;
          resolve(message.payload || {});
          return;
        }
        if (message.type === "ping") {
          socket.send(JSON.stringify({ type: "pong" }));
          return;
        }
        const sink = this.sinks.get(message.id);
        if (!sink) return;
        if (message.type === "next") sink.next(message.payload);
        else if (message.type === "error") {
          this.sinks.delete(message.id);
          sink.error(message.payload);
        } else if (message.type === "complete") {
          this.sinks.delete(message.id);
          sink.complete();
        }
      };
      socket.onclose = (event) => {
        const reason = event.code === 4403 ? "the key was refused" : `closed (${event.code})`;
        const failure = new Error(`live updates unavailable: ${reason}`);
        if (!acknowledged) reject(failure);
        for (const sink of this.sinks.values()) sink.error(failure);
        this.sinks.clear();
        this.socket = null;
        this.ready = null;
      };
    });
    return this.ready;
  }

  // Subscribe; returns a function that stops the subscription. `sink` gets next(payload),
  // error(errorOrErrors) and complete().
  subscribe(payload, sink) {
    const id = String(this.nextId++);
    let active = true;
    this.sinks.set(id, sink);
    this.connect().then(
      () => {
        if (active && this.socket) {
          this.socket.send(JSON.stringify({ id, type: "subscribe", payload }));
        }
      },
      (failure) => {
        if (active) {
          this.sinks.delete(id);
          sink.error(failure);
        }
      },
    );
    return () => {
      active = false;
      if (this.sinks.delete(id) && this.socket && this.socket.readyState === WebSocket.OPEN) {
        this.socket.send(JSON.stringify({ id, type: "complete" }));
      }
    };
  }

  // The same subscription as an async iterator of payloads (GraphiQL's fetchers return one).
  iterate(payload) {
    const queue = [];
    let wake = null;
    let done = false;
    let failure = null;
    const push = () => { if (wake) { wake(); wake = null; } };
    const stop = this.subscribe(payload, {
      next: (value) => { queue.push(value); push(); },
      error: (error) => { failure = error; done = true; push(); },
      complete: () => { done = true; push(); },
    });
    return {
      [Symbol.asyncIterator]() { return this; },
      async next() {
        while (!queue.length && !done) await new Promise((resolve) => { wake = resolve; });
        if (queue.length) return { value: queue.shift(), done: false };
        if (failure) {
          const errors = Array.isArray(failure) ? failure : [{ message: String(failure.message || failure) }];
          failure = null;
          return { value: { errors }, done: false };
        }
        return { value: undefined, done: true };
      },
      async return() { stop(); done = true; return { value: undefined, done: true }; },
    };
  }

  close() {
    if (this.socket) this.socket.close(1000, "done");
  }
}
