# syntax=docker/dockerfile:1
# One image recipe for every Node deployable of the monorepo (docs/deployment.md):
#   docker build --build-arg APP_DIR=apps/api --build-arg APP_MAIN=src/main.ts -t order-service/api .
# Node 24 runs the TypeScript sources directly (type stripping): there is no build output to copy,
# only the sources and the production dependencies.
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- deps: production dependencies of the whole workspace, from the lock file only ----
FROM ${NODE_IMAGE} AS deps
ARG APP_DIR=apps/api
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY apps ./apps
COPY packages ./packages
COPY devkit ./devkit
# Only the package.json files matter for the install; the sources come in the runtime stage.
# `--workspace` installs the production dependencies of the one app being built (and of the
# workspace packages it depends on), so an API image never carries the embedded PostgreSQL or
# the simulators' dependencies.
RUN find apps packages devkit -mindepth 2 -not -path '*/node_modules*' -not -name package.json -type f -delete \
 && npm ci --omit=dev --workspace "${APP_DIR}" --no-audit --no-fund \
 && npm cache clean --force

# ---- runtime: sources + deps, unprivileged ----
FROM ${NODE_IMAGE} AS runtime
ARG APP_DIR=apps/api
ARG APP_MAIN=src/main.ts
ENV NODE_ENV=production \
    APP_DIR=${APP_DIR} \
    APP_MAIN=${APP_MAIN}
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --chown=node:node package.json package-lock.json ./
COPY --chown=node:node migrations ./migrations
COPY --chown=node:node deploy ./deploy
COPY --chown=node:node packages ./packages
COPY --chown=node:node apps ./apps
# The simulators' images (docker-compose) are built from devkit/; app images never import it.
COPY --chown=node:node devkit ./devkit
# Workspace packages may carry their own node_modules (nested versions): take them from deps.
COPY --from=deps --chown=node:node /app/packages ./packages
COPY --from=deps --chown=node:node /app/apps ./apps
RUN test -f "${APP_DIR}/${APP_MAIN}"
# Node's compile cache (node-options' --import=@orders/runtime/compile-cache, issue 17 item 4):
# with it warm, each module's type-stripped text and V8 code come from here and Node never
# instantiates its TypeScript stripper (15–40 MB resident per app). Warmed at build time with the
# CMD's own flags (the cache is kept per set of V8 flags): without any variables the app loads
# its modules, fails its config check and exits, and the cache is written on exit.
ENV NODE_COMPILE_CACHE=/app/.node-compile-cache
RUN mkdir -p "$NODE_COMPILE_CACHE" && chown node:node "$NODE_COMPILE_CACHE"
USER node
WORKDIR /app/${APP_DIR}
RUN node $(cat node-options 2>/dev/null) "$APP_MAIN" >/dev/null 2>&1; test -n "$(ls -A "$NODE_COMPILE_CACHE")"
STOPSIGNAL SIGTERM
# An app's V8 flags (heap bounds, issue 17) come from its node-options file, as in the tests.
CMD ["sh", "-c", "exec node $(cat node-options 2>/dev/null) \"$APP_MAIN\""]
