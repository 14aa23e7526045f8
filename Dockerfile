# The Lifeline image used by docker-compose.yml (worker and API).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --no-audit --no-fund
COPY src ./src
RUN npx tsc -p tsconfig.json

FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
COPY fixtures ./fixtures
# Runs as root: the worker talks to the host's Docker socket.
CMD ["node", "dist/worker/main.js"]
