# cityatlas: a single static binary on a small base image.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/cityatlas ./cmd/cityatlas

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/cityatlas /usr/local/bin/cityatlas
WORKDIR /data
ENV CITYATLAS_ADDR=:8080 \
    CITYATLAS_DATA=/data/cityatlas.gpkg
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/cityatlas"]
CMD ["serve"]
