// GraphiQL from the gateway's own files. Queries and mutations go to /graphql with the headers
// of the headers editor; subscriptions go over a WebSocket that sends the editor's
// Authorization header in connection_init. The key starts as the console's (same tab), if
// someone signed in there; it is never stored beyond the tab.
import { GraphQLSocket, socketUrl } from "/static/shared/socket.js";

const KEY_STORAGE = "gateway.apiKey";
const key = sessionStorage.getItem(KEY_STORAGE) || "";
const initialHeaders = JSON.stringify({ Authorization: `Bearer ${key}` }, null, 2);
const sockets = new Map();

function socketFor(authorization) {
  if (!sockets.has(authorization)) {
    sockets.set(authorization, new GraphQLSocket(socketUrl(), authorization));
  }
  return sockets.get(authorization);
}

function isSubscription(params) {
  const query = params.query || "";
  const named = params.operationName
    ? new RegExp(`subscription\\s+${params.operationName}\\b`).test(query)
    : /^\s*subscription\b/m.test(query.replace(/#.*$/gm, ""));
  return named;
}

async function fetcher(params, options = {}) {
  const headers = { "Content-Type": "application/json", Accept: "application/json", ...(options.headers || {}) };
  if (isSubscription(params)) {
    const authorization = headers.Authorization || headers.authorization || "";
    return socketFor(authorization).iterate({
      query: params.query,
      variables: params.variables,
      operationName: params.operationName,
    });
  }
  const response = await fetch("/graphql", {
    method: "POST",
    headers,
    body: JSON.stringify(params),
  });
  return response.json();
}

// A link may carry a document to open: /graphql#query=...&variables=...
const linked = new URLSearchParams(window.location.hash.slice(1));

const root = ReactDOM.createRoot(document.getElementById("graphiql"));
root.render(
  React.createElement(GraphiQL, {
    fetcher,
    headers: initialHeaders,
    query: linked.get("query") || undefined,
    variables: linked.get("variables") || undefined,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
    defaultEditorToolsVisibility: "headers",
  }),
);
