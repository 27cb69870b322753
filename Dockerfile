# One image for every Shopgraph service; docker-compose.yml picks the entry
# point. TypeScript runs through tsx (a runtime dependency), so the image is
# the workspace with production dependencies and no build step.
FROM node:20-bookworm-slim AS deps
RUN npm install --global pnpm@12.21.0
WORKDIR /app
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY lib/package.json lib/
COPY gateway/package.json gateway/
COPY migrations/package.json migrations/
COPY schema/package.json schema/
COPY subgraphs/customer/package.json subgraphs/customer/
COPY subgraphs/inventory/package.json subgraphs/inventory/
COPY subgraphs/order/package.json subgraphs/order/
RUN pnpm install --frozen-lockfile --prod

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app /app
COPY lib lib
COPY gateway gateway
COPY migrations migrations
COPY subgraphs subgraphs
COPY schema schema
COPY scripts scripts
USER node
# Overridden per service in docker-compose.yml.
CMD ["node", "--import", "tsx", "--import", "@shopgraph/lib/telemetry/register", "gateway/src/main.ts"]
