// The search view (instant results, filters, keyboard navigation) and a result's file.
import { apiJson } from "./api.js";
import { $, el } from "./dom.js";
import { highlightLines, termPattern } from "./highlight.js";

const kDebounceMs = 150;
const kSnippetLines = 15;

// The search's part of the URL: q, mode, lang, path (empty ones left out).
function searchParams(source) {
  const p = new URLSearchParams();
  for (const key of ["q", "mode", "lang", "path"]) {
    const v = (source.get(key) || "").trim();
    if (v) p.set(key, v);
  }
  return p;
}

// Highlighted, numbered lines; `hit` ([first, last] line) marks lines and gives every
// line an id (L12) to scroll to: only the file view's lines have ids.
function codeBlock(code, language, firstLine, pattern, hit) {
  const block = el("div", "code");
  highlightLines(code, language, pattern).forEach((frag, n) => {
    const line = el("div", "line");
    const number = firstLine + n;
    if (hit) line.id = `L${number}`;
    if (hit && number >= hit[0] && number <= hit[1]) line.classList.add("hit");
    line.append(el("span", "ln", String(number)));
    const text = el("span", "lc");
    text.append(frag);
    line.append(text);
    block.append(line);
  });
  return block;
}

export class SearchView {
  constructor(navigate) {
    this.navigate = navigate;
    this.timer = 0;
    this.seq = 0;
    this.shown = null;  // the search (URL query) whose results are on screen or coming
    this.languagesLoaded = false;
    const form = $("search-form");
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.commit(false);
    });
    $("q").addEventListener("input", () => this.schedule());
    $("path").addEventListener("input", () => this.schedule());
    $("mode").addEventListener("change", () => this.commit(false));
    $("lang").addEventListener("change", () => this.commit(false));
    $("q").addEventListener("keydown", (e) => {
      if (e.key === "ArrowDown") {
        const first = $("results").querySelector("a.result-link");
        if (first) {
          e.preventDefault();
          first.focus();
        }
      }
    });
    $("results").addEventListener("keydown", (e) => this.moveFocus(e));
    // Escape in a file goes back to its results.
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && !$("file-view").hidden && !e.defaultPrevented) $("file-back").click();
    });
  }

  // Typing: the URL follows after a pause (replacing the entry: the history keeps
  // searches, not keystrokes).
  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.commit(true), kDebounceMs);
  }

  commit(replace) {
    clearTimeout(this.timer);
    this.timer = 0;
    const p = searchParams(new FormData($("search-form")));
    const url = p.toString() ? `/?${p}` : "/";
    this.navigate(url, { replace });
  }

  moveFocus(e) {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    const links = [...$("results").querySelectorAll("a.result-link")];
    const at = links.indexOf(document.activeElement);
    if (at < 0) return;
    e.preventDefault();
    if (e.key === "ArrowDown" && at + 1 < links.length) links[at + 1].focus();
    else if (e.key === "ArrowUp") (at > 0 ? links[at - 1] : $("q")).focus();
  }

  async loadLanguages() {
    if (this.languagesLoaded) return;
    this.languagesLoaded = true;
    try {
      const status = await apiJson("/v1/status");
      const select = $("lang");
      const present = new Set([...select.options].map((o) => o.value));  // show() may have added the URL's
      for (const name of Object.keys(status.languages || {}).sort()) {
        if (!present.has(name)) select.append(new Option(name, name));
      }
    } catch {
      this.languagesLoaded = false;  // try again next time
    }
  }

  show(params) {
    document.title = params.get("q") ? `${params.get("q")} - trawl` : "trawl";
    this.loadLanguages();
    // The form shows the URL's search (a link, a reload, back and forward).
    for (const key of ["q", "mode", "lang", "path"]) {
      const input = $(key);
      const v = params.get(key) || "";
      if (input.value !== v && !(document.activeElement === input && this.timer)) {
        if (input.tagName === "SELECT" && v && ![...input.options].some((o) => o.value === v)) input.append(new Option(v, v));
        input.value = v;
      }
    }
    const key = searchParams(params).toString();
    if (key === this.shown) return;
    this.shown = key;
    this.search(params);
  }

  async search(params) {
    const seq = ++this.seq;
    const q = (params.get("q") || "").trim();
    const status = $("search-status");
    const list = $("results");
    if (!q) {
      list.replaceChildren();
      list.dataset.query = "";
      status.textContent = "";
      return;
    }
    const api = new URLSearchParams({ q, content: "1", k: "20" });
    for (const key of ["mode", "lang", "path"]) if (params.get(key)) api.set(key, params.get(key));
    let body;
    try {
      body = await apiJson(`/v1/search?${api}`);
    } catch (e) {
      if (seq !== this.seq) return;
      list.replaceChildren();
      list.dataset.query = q;
      status.textContent = e.status === 503 ? `${e.message}. Start a run in the Index view.` : e.message;
      status.classList.add("error");
      return;
    }
    if (seq !== this.seq) return;  // a later search overtook this one
    performance.mark("trawl-results-response");
    this.renderResults(q, params, body);
    // The frame with the results is painted before a task queued from its
    // requestAnimationFrame callback runs.
    requestAnimationFrame(() => setTimeout(() => {
      if (seq === this.seq) performance.measure("trawl-results-paint", "trawl-results-response");
    }, 0));
  }

  renderResults(q, params, body) {
    const status = $("search-status");
    const list = $("results");
    const pattern = termPattern(q);
    const back = searchParams(params);
    const items = body.results.map((r, i) => {
      const li = el("li", "result");
      const head = el("div", "result-head");
      const link = el("a", "result-link", `${r.path}:${r.start_line}-${r.end_line}`);
      const target = new URLSearchParams(back);
      target.set("file", r.path);
      target.set("line", String(r.start_line));
      target.set("end", String(r.end_line));
      link.href = `/?${target}`;
      link.id = `result-${i}`;
      head.append(link);
      if (r.symbol) head.append(el("span", "symbol", r.symbol));
      const meta = el("div", "meta");
      meta.append(el("span", "kind", r.kind || "chunk"), el("span", "lang", r.language || ""),
                  el("span", "score", `score ${Number(r.score).toFixed(4)}`));
      if (r.git) {
        const when = r.git.time ? new Date(r.git.time * 1000).toISOString().slice(0, 10) : "";
        const git = el("span", "git", `${String(r.git.commit).slice(0, 10)} ${r.git.author || ""} ${when}`.trim());
        git.title = `commit ${r.git.commit}`;
        meta.append(git);
      }
      li.append(head, meta);
      if (typeof r.content === "string") {
        const lines = r.content.split("\n");
        const shown = lines.slice(0, kSnippetLines).join("\n");
        const pre = el("pre", "snippet");
        pre.append(codeBlock(shown, r.language, r.start_line, pattern, null));
        li.append(pre);
        if (lines.length > kSnippetLines + (r.content.endsWith("\n") ? 1 : 0)) {
          li.append(el("p", "more", `${r.end_line - r.start_line + 1 - kSnippetLines} more lines in the file`));
        }
      }
      return li;
    });
    list.replaceChildren(...items);
    list.dataset.query = q;
    status.classList.remove("error");
    const n = body.results.length;
    let text = n === 0 ? "No results: try other words, an identifier, or fewer filters." :
      `${n} result${n === 1 ? "" : "s"} in ${Number(body.took_ms).toFixed(1)} ms`;
    if (body.coverage < 1) text += ` (the index covers ${Math.round(body.coverage * 100)}% of the files: a run is writing)`;
    status.textContent = text;
  }

  async showFile(params) {
    const path = params.get("file");
    const line = parseInt(params.get("line") || "1", 10) || 1;
    const end = Math.max(line, parseInt(params.get("end") || String(line), 10) || line);
    const back = searchParams(params);
    $("file-back").href = back.toString() ? `/?${back}` : "/";
    $("file-title").textContent = path;
    document.title = `${path} - trawl`;
    const status = $("file-status");
    const code = $("file-code");
    code.replaceChildren();
    code.dataset.path = "";
    status.classList.remove("error");
    status.textContent = "Loading...";
    const seq = ++this.seq;
    this.shown = null;  // back to the results searches again
    let body;
    try {
      body = await apiJson(`/v1/file?${new URLSearchParams({ path })}`);
    } catch (e) {
      if (seq !== this.seq) return;
      status.textContent = e.message;
      status.classList.add("error");
      return;
    }
    if (seq !== this.seq) return;
    const lines = body.content.split("\n").length - (body.content.endsWith("\n") ? 1 : 0);
    status.textContent = `${body.language || "text"}, ${lines} lines${body.truncated ? " (cut: the file is longer)" : ""}`;
    const pre = el("pre", "snippet whole");
    pre.append(codeBlock(body.content, body.language, 1, termPattern(params.get("q")), [line, end]));
    code.replaceChildren(pre);
    code.dataset.path = body.path;
    const target = document.getElementById(`L${line}`);
    if (target) {
      target.tabIndex = -1;
      target.scrollIntoView({ block: "center" });
      target.focus({ preventScroll: true });
    }
  }
}
