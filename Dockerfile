# Helpdesk API image: build with the full toolchain, run with production dependencies only.
#
#   docker build -t helpdesk-api .
#   docker run --rm -p 127.0.0.1:3000:3000 -e DATABASE_URL=postgres://user:pass@host:5432/helpdesk helpdesk-api
#
# DATABASE_URL is required in the container: the embedded PostgreSQL (the local-development
# default when it is unset) is deliberately left out of this image.

# Node 24 LTS, the runtime package.json's engines names first.
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: compile TypeScript to dist/ ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# No dependency's install script is needed to compile (the Nest builder is tsc), so none runs,
# whether or not the image's npm reads package.json's allowScripts.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY nest-cli.json tsconfig.json ./
COPY apps ./apps
COPY libs ./libs
COPY migrations ./migrations
COPY scripts ./scripts
RUN npm run build \
 && test -f dist/apps/api/apps/api/src/main.js \
 && test -f dist/apps/api/apps/api/src/cli.js

# ---- prod-deps: runtime node_modules only ----
# --omit=optional drops the embedded PostgreSQL binaries (about 60 MB) and pg-cloudflare, neither
# of which runs here; --ignore-scripts skips their install scripts and a telemetry postinstall.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# ---- runtime ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    FILES_DIR=/var/lib/helpdesk/files
WORKDIR /app
# Uploaded attachments: the one place the app writes (a volume in docker-compose.yml).
RUN mkdir -p /var/lib/helpdesk/files && chown node:node /var/lib/helpdesk/files
# Files stay owned by root (read-only to the app); the process runs as the image's `node` user.
COPY package.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# Readiness: the API answers and its database is reachable. No curl in slim images, so node asks.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself is PID 1 (not npm): it receives SIGTERM, closes gracefully and exits 0.
# --max-semi-space-size=16, as npm start (docs/operations.md, "Memory").
CMD ["node", "--max-semi-space-size=16", "dist/apps/api/apps/api/src/main.js"]
