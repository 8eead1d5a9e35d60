# syntax=docker/dockerfile:1
#
# One image for the whole platform: the operator, purchase-api, query-api, the allocator and analytics share
# every dependency and most of the code, so one build gives one set of layers to pull, scan and
# sign, and the operator's ALLOCATOR_IMAGE is this same image. The container's argument names the
# service:   args: ["operator" | "purchase-api" | "query-api" | "allocator" | "analytics"]   (default: allocator,
# because the operator writes the allocator Deployments without args).
#
# Build:  docker build -t boxoffice .        (or `npm run images`: buildah, no daemon, see
#         docs/operations.md). Node 24 runs the TypeScript sources natively (type stripping), so
#         there is no compile step: the image holds the sources and the production dependencies.

# An official Node 24 image; `npm run images` passes a local one made from Debian packages.
ARG BASE_IMAGE=docker.io/library/node:24.22.3-bookworm-slim

FROM ${BASE_IMAGE} AS dependencies
WORKDIR /app
# Only the manifests, so this layer and `npm ci` are rebuilt only when dependencies change.
COPY package.json package-lock.json ./
COPY cdk8s/package.json cdk8s/
COPY operator/package.json operator/
COPY services/allocator/package.json services/allocator/
COPY services/analytics/package.json services/analytics/
COPY services/conventions/package.json services/conventions/
COPY services/inventory/package.json services/inventory/
COPY services/platform/package.json services/platform/
COPY services/purchase-api/package.json services/purchase-api/
COPY services/query-api/package.json services/query-api/
COPY services/store/package.json services/store/
COPY test/package.json test/
# The registry's CA and npm config (a TLS proxy, a private registry's token) come in as build
# secrets: mounted for this step only, never in a layer. Without them npm uses its defaults.
# No install scripts: nothing in production needs one (they are for the dev tools). Source maps
# and type declarations are never loaded at run time: they are about half of node_modules.
# npm's download cache is a build cache mount: a changed lock file downloads only what is new.
RUN --mount=type=secret,id=npmca --mount=type=secret,id=npmrc --mount=type=cache,target=/tmp/npm-cache \
    NODE_EXTRA_CA_CERTS=/run/secrets/npmca NPM_CONFIG_USERCONFIG=/run/secrets/npmrc NPM_CONFIG_UPDATE_NOTIFIER=false \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund --cache /tmp/npm-cache \
 && rm -rf node_modules/@boxoffice/testkit test node_modules/@boxoffice/cdk8s cdk8s \
 && find node_modules services -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -delete

FROM ${BASE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
# Dependencies (root-owned, read-only to the service), then the sources: a code change rebuilds
# only the last layers.
COPY --from=dependencies /app ./
COPY services services
COPY operator operator
COPY images images
# A numeric UID, so runAsNonRoot can verify it without reading /etc/passwd. Nothing is written
# outside /tmp (an emptyDir in the chart): the root filesystem can be read-only.
USER 1000:1000
ENV HOME=/tmp
# No HEALTHCHECK: the chart's probes call /healthz and /readyz.
ENTRYPOINT ["node", "images/entrypoint.ts"]
CMD ["allocator"]
# Labels last: the version and revision change with every commit and would otherwise invalidate
# the cached layers above.
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG SOURCE=https://github.com/boxoffice-dev/boxoffice
LABEL org.opencontainers.image.title="boxoffice" \
      org.opencontainers.image.description="boxoffice: TicketEvent operator, purchase-api, query-api, allocator and analytics" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
