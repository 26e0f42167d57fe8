"""The query page a browser gets at ``/sparql``: one self-contained HTML file, no CDN.

A textarea with the ten example queries one click away, a result format, an optional
bearer token (kept in the tab's ``sessionStorage`` only), and the answer as a table (SELECT,
ASK) or as text (CONSTRUCT, DESCRIBE, CSV …). Results are put in the page with
``textContent`` only, never as HTML. Script and style are inline and pinned by their hashes
in the ``Content-Security-Policy`` header (``page_headers``), which allows nothing else.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
from typing import Final

from translator.api.sparql_examples import EXAMPLES

_STYLE: Final = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1b1b1b; }
h1 { font-size: 1.3rem; margin: 0 0 1rem; }
textarea { width: 100%; height: 16rem; font: 13px/1.35 ui-monospace, monospace; }
.bar { display: flex; gap: .75rem; align-items: center; flex-wrap: wrap; margin: .5rem 0; }
#status { color: #555; } #status.error { color: #b00020; white-space: pre-wrap; }
table { border-collapse: collapse; margin-top: .75rem; font: 12px ui-monospace, monospace; }
th, td { border: 1px solid #ccc; padding: .2rem .45rem; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } pre { background: #f7f7f7; padding: .75rem; overflow: auto; }
"""

_SCRIPT: Final = """
const examples = JSON.parse(document.getElementById("examples").textContent);
const $ = (id) => document.getElementById(id);
const picker = $("example"), editor = $("query"), token = $("token");
examples.forEach((ex, i) => picker.add(new Option(ex.title, String(i))));
picker.addEventListener("change", () => { editor.value = examples[picker.value].sparql; });
editor.value = examples[0].sparql;
token.value = sessionStorage.getItem("translator-token") || "";
token.addEventListener("change", () => sessionStorage.setItem("translator-token", token.value));
$("run").addEventListener("click", run);
editor.addEventListener("keydown", (e) => { if (e.key === "Enter" && e.ctrlKey) run(); });

function short(term) {
  if (!term) return "";
  if (term.type === "uri") return term.value;
  if (term.type === "literal" && term["xml:lang"]) return term.value + "@" + term["xml:lang"];
  if (term.type === "bnode") return "_:" + term.value;
  return term.value;
}

function table(head, rows) {
  const t = document.createElement("table"), tr = t.insertRow();
  head.forEach((h) => {
    const th = document.createElement("th");
    th.textContent = h;
    tr.append(th);
  });
  rows.forEach((row) => {
    const r = t.insertRow();
    row.forEach((v) => { r.insertCell().textContent = v; });
  });
  return t;
}

async function run() {
  const status = $("status"), out = $("results");
  status.className = ""; status.textContent = "running…"; out.replaceChildren();
  const headers = {
    "Content-Type": "application/x-www-form-urlencoded",
    "Accept": $("accept").value,
  };
  if (token.value) headers["Authorization"] = "Bearer " + token.value;
  const started = performance.now();
  try {
    const response = await fetch("sparql", { method: "POST", headers,
      body: new URLSearchParams({ query: editor.value }) });
    const ms = Math.round(performance.now() - started), text = await response.text();
    if (!response.ok) {
      let detail = text; try { detail = JSON.parse(text).detail; } catch (e) {}
      status.className = "error"; status.textContent = response.status + ": " + detail; return;
    }
    const capped = response.headers.get("X-Result-Truncated") === "true";
    const type = response.headers.get("Content-Type") || "";
    if (type.startsWith("application/sparql-results+json")) {
      const data = JSON.parse(text);
      if ("boolean" in data) { out.append(table(["answer"], [[String(data.boolean)]])); }
      else {
        const vars = data.head.vars, rows = data.results.bindings;
        out.append(table(vars, rows.map((b) => vars.map((v) => short(b[v])))));
        status.textContent = rows.length + " rows";
      }
    } else { const pre = document.createElement("pre"); pre.textContent = text; out.append(pre); }
    status.textContent = (status.textContent === "running…" ? "done" : status.textContent)
      + " in " + ms + " ms" + (capped ? " (truncated at the row limit)" : "");
  } catch (err) { status.className = "error"; status.textContent = String(err); }
}
"""

_FORMATS: Final = (
    ("application/sparql-results+json, text/turtle;q=0.9", "table (JSON) / Turtle"),
    ("text/csv, text/turtle;q=0.9", "CSV / Turtle"),
    ("text/tab-separated-values, application/n-triples;q=0.9", "TSV / N-Triples"),
    ("application/sparql-results+xml, application/rdf+xml;q=0.9", "XML / RDF-XML"),
    ("application/sparql-results+json, application/ld+json;q=0.9", "JSON / JSON-LD"),
)


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@functools.cache
def query_page() -> str:
    """The page's HTML (built once)."""
    examples = json.dumps([{"title": e.title, "sparql": e.sparql} for e in EXAMPLES])
    examples = examples.replace("</", "<\\/")  # cannot close the script element early
    options = "".join(
        f'<option value="{html.escape(value)}">{html.escape(label)}</option>'
        for value, label in _FORMATS
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SPARQL · semantic-translator</title><style>{_STYLE}</style></head>
<body><h1>SPARQL query</h1>
<div class="bar"><label>Example <select id="example"></select></label>
<label>Format <select id="accept">{options}</select></label>
<label>Token <input id="token" type="password" size="28" autocomplete="off"
placeholder="only when tokens are configured"></label></div>
<textarea id="query" spellcheck="false" aria-label="SPARQL query"></textarea>
<div class="bar"><button id="run" type="button">Run (Ctrl+Enter)</button>
<span id="status" role="status"></span></div>
<p>Prefixes <code>tr: trp: sosa: qudt: unit: prov: saref: rdfs: xsd: owl:</code> … are
predeclared. The default graph is the union of all graphs.</p>
<div id="results"></div>
<script id="examples" type="application/json">{examples}</script>
<script>{_SCRIPT}</script></body></html>
"""


def page_headers() -> dict[str, str]:
    """Headers of the page: a CSP that allows only its own inline script and style."""
    policy = (
        f"default-src 'none'; script-src {_csp_hash(_SCRIPT)}; style-src {_csp_hash(_STYLE)}; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
    }
