/**
 * GET /docs: a self-contained page (no CDN assets) that fetches /openapi.json and renders the
 * operations, their parameters, responses and the schemas.
 */
export const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Order Service API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h2{border-bottom:1px solid #ddd;padding-bottom:.2rem}
.op{border:1px solid #ddd;border-radius:6px;margin:1rem 0;padding:.6rem 1rem}
.m{display:inline-block;min-width:4rem;font-weight:700;text-transform:uppercase}
.get{color:#0a6}.post{color:#06c}code,pre{background:#f5f5f5;border-radius:4px}
pre{padding:.6rem;overflow:auto;font-size:13px}td{padding:0 .8rem 0 0;vertical-align:top}
</style></head><body>
<h1 id="title">Order Service API</h1><p id="desc"></p><div id="ops"></div><h2>Schemas</h2><div id="schemas"></div>
<script>
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"})[c]);
fetch("/openapi.json").then((r) => r.json()).then((doc) => {
  document.getElementById("title").textContent = doc.info.title + " " + doc.info.version;
  document.getElementById("desc").textContent = doc.info.description || "";
  let html = "";
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      html += '<div class="op"><span class="m ' + method + '">' + method + "</span> <code>" + esc(path) + "</code> " + esc(op.summary || "");
      if (op.parameters) html += "<table>" + op.parameters.map((p) => "<tr><td><code>" + esc(p.name) + "</code></td><td>" + p.in + (p.required ? ", required" : "") + "</td><td>" + esc(p.description || "") + "</td></tr>").join("") + "</table>";
      if (op.requestBody) html += "<div>body: <code>" + esc(JSON.stringify(Object.values(op.requestBody.content)[0].schema)) + "</code></div>";
      html += "<table>" + Object.entries(op.responses).map(([s, r]) => "<tr><td><b>" + s + "</b></td><td>" + esc(r.description) + "</td></tr>").join("") + "</table></div>";
    }
  }
  document.getElementById("ops").innerHTML = html;
  document.getElementById("schemas").innerHTML = Object.entries(doc.components.schemas)
    .map(([n, s]) => "<h3>" + esc(n) + "</h3><pre>" + esc(JSON.stringify(s, null, 2)) + "</pre>").join("");
});
</script></body></html>
`;
