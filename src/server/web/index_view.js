// The index view: what is indexed (GET /v1/status), the current run live (GET
// /v1/events), the last runs (GET /v1/runs), and a button that starts a run.
import { apiFetch, apiJson, subscribeEvents } from "./api.js";
import { $, el } from "./dom.js";

function figures(dl, pairs) {
  dl.replaceChildren(...pairs.flatMap(([k, v]) => [el("dt", "", k), el("dd", "", String(v))]));
}

function seconds(s) {
  if (s === undefined || s === null || s < 0) return "unknown";
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

function when(epoch) {
  return epoch ? new Date(epoch * 1000).toLocaleTimeString() : "";
}

export class IndexView {
  constructor() {
    this.stop = null;
    this.progressEvents = 0;
    $("run-button").addEventListener("click", () => this.startRun());
  }

  show() {
    this.refresh();
    if (!this.stop) {
      this.stop = subscribeEvents((type, data) => this.onEvent(type, data),
        (state) => { $("run-live").dataset.stream = state; });
    }
  }

  hide() {
    if (this.stop) this.stop();
    this.stop = null;
  }

  async refresh() {
    await Promise.all([this.loadStatus(), this.loadRuns()]);
  }

  async startRun() {
    const message = $("run-message");
    message.textContent = "Starting...";
    // A same-origin POST: the browser sends Origin and Sec-Fetch-Site, which the API checks.
    const res = await apiFetch("/v1/index", { method: "POST" });
    let body = {};
    try {
      body = await res.json();
    } catch {
      body = {};
    }
    if (res.status === 202) message.textContent = `Run ${body.run_id} queued.`;
    else if (res.status === 409) message.textContent = `A run is in progress (${body.run_id}).`;
    else message.textContent = body.error || `HTTP ${res.status}`;
  }

  async loadStatus() {
    // Answers can come back out of order (one connection per request): only the
    // latest request's answer is shown.
    const seq = (this.statusSeq = (this.statusSeq || 0) + 1);
    let s;
    try {
      s = await apiJson("/v1/status");
      if (seq !== this.statusSeq) return;
    } catch (e) {
      $("index-error").hidden = false;
      $("index-error").textContent = e.message;
      return;
    }
    const error = $("index-error");
    error.hidden = !s.index_error;
    error.textContent = s.index_error ? `No index yet: ${s.index_error}` : "";
    const server = s.server || {};
    const pairs = [["Root", server.root || ""]];
    if (!s.index_error) {
      pairs.push(["Files", s.files], ["Failed", s.files_failed], ["Skipped", s.files_skipped],
                 ["Coverage", `${Math.round((s.coverage ?? 1) * 100)}%`], ["Chunks", s.chunks], ["Vectors", s.vectors],
                 ["Embedder", s.embedder ? `${s.embedder.name} (${s.embedder.dimensions} dimensions)` : ""]);
    }
    pairs.push(["Watching", server.watch ? "yes" : "no"]);
    figures($("index-summary"), pairs);
    $("index-summary").dataset.files = String(s.files ?? 0);
    const langs = Object.entries(s.languages || {});
    $("languages").tBodies[0].replaceChildren(...langs.map(([name, n]) => {
      const tr = el("tr");
      tr.append(el("td", "", name), el("td", "num", String(n)));
      return tr;
    }));
    const failures = s.failures || [];
    $("failures").hidden = failures.length === 0;
    $("failures-none").hidden = failures.length !== 0;
    $("failures").tBodies[0].replaceChildren(...failures.map((f) => {
      const tr = el("tr");
      tr.append(el("td", "path", f.path), el("td", "", f.reason));
      return tr;
    }));
    if (server.running && $("run-live").dataset.state !== "running") $("run-state").textContent = "A run is in progress.";
  }

  async loadRuns() {
    const seq = (this.runsSeq = (this.runsSeq || 0) + 1);
    let body;
    try {
      body = await apiJson("/v1/runs");
    } catch {
      return;
    }
    if (seq !== this.runsSeq) return;  // a later request's answer is (or will be) shown
    $("runs").tBodies[0].replaceChildren(...body.runs.slice(0, 10).map((r) => {
      const tr = el("tr");
      const took = r.finished_at && r.started_at ? seconds(r.finished_at - r.started_at) : "";
      const files = r.summary && r.summary.files_indexed !== undefined ? String(r.summary.files_indexed) : "";
      tr.append(el("td", "", r.id), el("td", "", r.trigger), el("td", `state-${r.state}`, r.state + (r.error ? `: ${r.error}` : "")),
                el("td", "", when(r.started_at)), el("td", "num", took), el("td", "num", files));
      return tr;
    }));
  }

  onEvent(type, data) {
    const live = $("run-live");
    const bar = $("run-progress");
    if (type === "run_started") {
      this.progressEvents = 0;
      live.dataset.state = "running";
      live.dataset.run = data.id;
      $("run-state").textContent = `Run ${data.id} (${data.trigger}) is running.`;
      bar.hidden = false;
      bar.value = 0;
      figures($("run-figures"), []);
      this.loadRuns();
    } else if (type === "progress") {
      this.progressEvents++;
      live.dataset.progressEvents = String(this.progressEvents);
      if (live.dataset.state !== "running") live.dataset.state = "running";
      const total = data.files_total || 0;
      bar.hidden = false;
      bar.max = Math.max(1, total);
      bar.value = Math.min(data.files_done || 0, bar.max);
      $("run-state").textContent = `Stage: ${data.stage || data.event}.`;
      figures($("run-figures"), [
        ["Stage", data.stage || ""],
        ["Files", `${data.files_done} of ${total}`],
        ["Unchanged", data.files_unchanged ?? 0],
        ["Chunks", data.chunks ?? 0],
        ["Errors", data.errors ?? 0],
        ["Rate", `${(data.files_per_s || 0).toFixed(0)} files/s, ${(data.mb_per_s || 0).toFixed(2)} MB/s`],
        ["Elapsed", seconds(data.elapsed_s)],
        ["ETA", seconds(data.eta_s)],
        ["Bottleneck", data.bottleneck || ""],
        ["Workers", (data.worker_files || []).map((n, i) => `#${i} ${n}`).join(", ")],
      ]);
      if (data.throttled) $("run-state").textContent += ` ${data.throttled}`;
    } else if (type === "run_finished") {
      live.dataset.state = data.state;
      bar.value = bar.max;
      $("run-state").textContent = `Run ${data.id} ${data.state} in ${seconds(data.elapsed_s)}` +
        (data.error ? `: ${data.error}` : ".");
      this.refresh();
    }
  }
}
