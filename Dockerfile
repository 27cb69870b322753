# syntax=docker/dockerfile:1
#
# One small image per service, each a target of this file:
#
#   docker buildx build --target gateway -t shopgraph-gateway .
#
# gateway, customer, inventory, order, relay (the order outbox relay) and
# migrate (a one-shot job). The build stage installs the locked workspace,
# compiles it to JavaScript (dist/) and writes one folder per service with
# `pnpm deploy --prod`: compiled code and production dependencies only. The
# service stages copy one folder onto the Node LTS runtime and run it with
# plain `node` as the unprivileged `node` user. Secrets (.env*, keys) never
# enter the build context (.dockerignore); they arrive at run time.

ARG NODE_IMAGE=node:24-bookworm-slim
ARG PNPM_VERSION=12.21.0

FROM ${NODE_IMAGE} AS build
ARG PNPM_VERSION
RUN npm install --global "pnpm@${PNPM_VERSION}"
WORKDIR /src
# The lockfile alone decides what is downloaded, so this layer (the package
# store) is rebuilt only when it changes; the build stage is never shipped.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch
COPY . .
RUN pnpm install --offline --frozen-lockfile \
    && pnpm build \
    && sh scripts/deploy-packages.sh /out

# What every service image shares: the runtime, production settings and an
# unprivileged user. Files stay owned by root, so the process cannot change
# its own code.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
USER node
# `shopgraph-dist` makes the workspace packages resolve to their compiled
# dist/ instead of their TypeScript sources. The OpenTelemetry instrumentation
# is registered before the service's modules load, so they can be patched.
ENTRYPOINT ["node", "--conditions=shopgraph-dist", "--enable-source-maps", "--import", "@shopgraph/lib/telemetry/register"]
# Liveness: the process answers /health on PORT. Orchestrators that need
# readiness probe /ready themselves (docker-compose.yml, Kubernetes).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/health`, { signal: AbortSignal.timeout(2500) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

FROM runtime AS gateway
COPY --from=build /out/gateway /app
ENV SERVICE_NAME=gateway PORT=4000
EXPOSE 4000
CMD ["dist/main.js"]

FROM runtime AS customer
COPY --from=build /out/customer /app
ENV SERVICE_NAME=customer PORT=4001
EXPOSE 4001
CMD ["dist/main.js"]

FROM runtime AS inventory
COPY --from=build /out/inventory /app
ENV SERVICE_NAME=inventory PORT=4002
EXPOSE 4002
CMD ["dist/main.js"]

FROM runtime AS order
COPY --from=build /out/order /app
# The relay runs as its own deployment (the relay image).
ENV SERVICE_NAME=order PORT=4003 OUTBOX_RELAY=false
EXPOSE 4003
CMD ["dist/main.js"]

FROM runtime AS relay
COPY --from=build /out/order /app
# PORT serves only /health and /ready.
ENV SERVICE_NAME=relay PORT=4004
EXPOSE 4004
CMD ["dist/relay.main.js"]

# A one-shot job that migrates the databases and exits: nothing to probe.
FROM runtime AS migrate
COPY --from=build /out/migrate /app
ENV SERVICE_NAME=migrate
HEALTHCHECK NONE
CMD ["dist/cli.js", "latest"]
