// Requests to trawl serve's API (docs/api.md), same origin. With a token (the server
// answered 401) every request carries "Authorization: Bearer"; the token is asked for
// once and kept in this tab's sessionStorage only.

const kTokenKey = "trawl.token";
let asking = null;  // the pending question, shared by every request that got a 401

function headers() {
  const token = sessionStorage.getItem(kTokenKey);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

function askForToken() {
  if (asking) return asking;
  const dialog = document.getElementById("token-dialog");
  const form = document.getElementById("token-form");
  const input = document.getElementById("token");
  asking = new Promise((resolve) => {
    const done = (event) => {
      event.preventDefault();
      const token = input.value.trim();
      if (!token) return;
      sessionStorage.setItem(kTokenKey, token);
      form.removeEventListener("submit", done);
      dialog.close();
      asking = null;
      resolve();
    };
    form.addEventListener("submit", done);
    input.value = "";
    dialog.showModal();
    input.focus();
  });
  return asking;
}

// fetch() with the token; on 401 asks for it and tries again (a wrong token asks again).
export async function apiFetch(url, init = {}) {
  for (;;) {
    const res = await fetch(url, { ...init, headers: { ...(init.headers || {}), ...headers() } });
    if (res.status !== 401) return res;
    sessionStorage.removeItem(kTokenKey);
    await askForToken();
  }
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// The JSON body of a successful answer; an ApiError with the server's message otherwise.
export async function apiJson(url, init) {
  const res = await apiFetch(url, init);
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (!res.ok) throw new ApiError(res.status, (body && body.error) || `HTTP ${res.status}`);
  return body;
}

// GET /v1/events, read through fetch() so that it can carry the token (EventSource
// cannot set headers). Calls onEvent(type, data) per event; reconnects after a drop.
// Returns a function that stops it.
export function subscribeEvents(onEvent, onState = () => {}) {
  let controller = null;
  let stopped = false;
  const run = async () => {
    while (!stopped) {
      controller = new AbortController();
      try {
        const res = await apiFetch("/v1/events", { signal: controller.signal, headers: { Accept: "text/event-stream" } });
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        onState("open");
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, "\n");
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let type = "message";
            const data = [];
            for (const line of block.split("\n")) {
              if (line.startsWith("event:")) type = line.slice(6).trim();
              else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
            }
            if (data.length) {
              let parsed = null;
              try {
                parsed = JSON.parse(data.join("\n"));
              } catch {
                continue;
              }
              onEvent(type, parsed);
            }
          }
        }
      } catch (e) {
        if (stopped) return;
      }
      onState("closed");
      if (!stopped) await new Promise((r) => setTimeout(r, 2000));
    }
  };
  run();
  return () => {
    stopped = true;
    if (controller) controller.abort();
  };
}
