// trawl's web page: one document, three views chosen by the URL (the state lives in
// the query string, so a link, a reload and the back button all work):
//   /?q=...&mode=...&lang=...&path=...         search
//   /?q=...&file=PATH&line=N&end=M              a result's whole file
//   /?view=index                                the index and its runs
import { SearchView } from "./search_view.js";
import { IndexView } from "./index_view.js";

const views = {
  search: document.getElementById("search-view"),
  file: document.getElementById("file-view"),
  index: document.getElementById("index-view"),
};

export function navigate(url, { replace = false } = {}) {
  if (url === location.pathname + location.search) return render();
  history[replace ? "replaceState" : "pushState"](null, "", url);
  render();
}

const search = new SearchView(navigate);
const index = new IndexView();

function render() {
  const params = new URLSearchParams(location.search);
  const name = params.get("view") === "index" ? "index" : params.has("file") ? "file" : "search";
  for (const [key, el] of Object.entries(views)) el.hidden = key !== name;
  const current = (id, on) => {
    const a = document.getElementById(id);
    if (on) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  };
  current("nav-search", name !== "index");
  current("nav-index", name === "index");
  if (name === "index") {
    index.show();
    document.title = "Index - trawl";
  } else {
    index.hide();
    if (name === "file") search.showFile(params);
    else search.show(params);
  }
}

// Links inside the page change the view without reloading it.
document.addEventListener("click", (event) => {
  const a = event.target.closest("a[href]");
  if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const url = new URL(a.href);
  if (url.origin !== location.origin || url.pathname !== "/") return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener("popstate", render);
render();
