// The console's only way to the gateway: the public GraphQL API, with the key the person
// signed in with (kept in sessionStorage: this tab only).
import { GraphQLSocket, socketUrl } from "/static/shared/socket.js";

const KEY_STORAGE = "gateway.apiKey";
let socket = null;

export const PAGE_SIZE = 25;

export function storedKey() {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function rememberKey(key) {
  sessionStorage.setItem(KEY_STORAGE, key);
}

export function forgetKey() {
  sessionStorage.removeItem(KEY_STORAGE);
  if (socket) socket.close();
  socket = null;
}

export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

// Run one operation; resolves with `data`, rejects with an ApiError naming the first error.
export async function gql(query, variables = {}) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Authorization: `Bearer ${storedKey() || ""}`,
    },
    body: JSON.stringify({ query, variables }),
  });
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The gateway answered ${response.status}`, "HTTP");
  }
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    throw new ApiError(first.message, (first.extensions || {}).code);
  }
  return body.data;
}

// A mutation's payload; its userErrors become an ApiError.
export async function mutate(query, variables, field) {
  const payload = (await gql(query, variables))[field];
  if (payload.userErrors && payload.userErrors.length) {
    const first = payload.userErrors[0];
    throw new ApiError(first.message, first.code);
  }
  return payload;
}

// Live updates: `onData(data)` for each answer. Where the WebSocket cannot be used, `poll` is
// called every few seconds instead. Returns a function that stops both.
export function live(query, variables, onData, poll, intervalMs = 3000) {
  let timer = null;
  let stopped = false;
  const startPolling = () => {
    if (stopped || timer || !poll) return;
    timer = setInterval(poll, intervalMs);
    document.body.dataset.live = "polling";
  };
  if (!("WebSocket" in window)) {
    startPolling();
    return () => { stopped = true; clearInterval(timer); };
  }
  if (!socket) socket = new GraphQLSocket(socketUrl(), `Bearer ${storedKey() || ""}`);
  const stop = socket.subscribe({ query, variables }, {
    next: (payload) => {
      document.body.dataset.live = "websocket";
      if (payload.data) onData(payload.data);
    },
    error: () => startPolling(),
    complete: () => {},
  });
  return () => {
    stopped = true;
    stop();
    if (timer) clearInterval(timer);
  };
}
