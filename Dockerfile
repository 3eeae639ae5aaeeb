# cityatlas: a single static binary on a small base image.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/cityatlas ./cmd/cityatlas \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/cityatlas /usr/local/bin/cityatlas
# The embedded store's GeoPackage lives in /data (mount a volume there to
# keep it); the nonroot user (65532) must be able to write it.
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
ENV CITYATLAS_ADDR=:8080 \
    CITYATLAS_DATA=/data/cityatlas.gpkg
EXPOSE 8080
USER nonroot:nonroot
# The image has no shell or curl: the binary checks itself (GET /healthz on
# CITYATLAS_ADDR; exit 0 when it answers 200). Liveness only: the service
# stays ready while its database is away (/readyz says so in its body).
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["/usr/local/bin/cityatlas", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/cityatlas"]
CMD ["serve"]
