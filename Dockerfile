# The mqscen image for sharded runs (mqscen k8s job --image …): the CLI, its runtime dependencies
# and the scenarios of this folder. Build: docker build -t mqscen .
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY runner ./runner
COPY broker ./broker
COPY schemas ./schemas
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# The compiled CLI is copied from the build stage: no TypeScript in the image, no install scripts.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY schemas ./schemas
COPY scenarios ./scenarios
USER node
ENTRYPOINT ["node", "/app/bin/mqscen.js"]
CMD ["--help"]
