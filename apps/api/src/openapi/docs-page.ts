import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "../env.ts";

/*
 * GET /docs: Swagger UI (swagger-ui-dist, a maintained renderer) served from this process — no
 * CDN — with try-it-out against this same origin. No inline script or style, so the page runs
 * under a strict Content-Security-Policy: everything from 'self', nothing else.
 */
const dist = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const VERSION = (JSON.parse(readFileSync(join(dist, "package.json"), "utf8")) as { version: string }).version;
const ASSETS = `/docs/assets/${VERSION}`;

export const DOCS_CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", "data:"],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
};

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Order Service API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${ASSETS}/swagger-ui.css">
<link rel="icon" type="image/png" href="${ASSETS}/favicon-32x32.png">
</head><body><div id="swagger-ui"></div>
<script src="${ASSETS}/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body></html>
`;

const INIT = `window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  tryItOutEnabled: true,
  displayRequestDuration: true,
  validatorUrl: null,
  persistAuthorization: false
});
`;

const FILES: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

export function docsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const assets = new Map(Object.entries(FILES).map(([name, type]) => [name, { type, body: readFileSync(join(dist, name)) }]));
  app.use("/docs", secureHeaders({ contentSecurityPolicy: DOCS_CSP, xFrameOptions: "DENY" }));
  app.get("/docs", (c) => c.html(PAGE, 200, { "Cache-Control": "no-cache" }));
  app.get("/docs/init.js", (c) => c.body(INIT, 200, { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache" }));
  app.get(`${ASSETS}/:file`, (c) => {
    const asset = assets.get(c.req.param("file"));
    if (!asset) return c.notFound();
    // Versioned path: the content of a URL never changes.
    return c.body(new Uint8Array(asset.body), 200, { "Content-Type": asset.type, "Cache-Control": "public, max-age=31536000, immutable" });
  });
  return app;
}
