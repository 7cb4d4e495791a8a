# Keygate: one image for the server, the REST API, the /v1 proxy and the web UI.
#
#   docker build -t keygate .
#   docker run -p 3000:3000 -v keygate-data:/data keygate      # SQLite in the volume
#
# The build stage needs crates.io and npm (as `make setup` does); the runtime stage is a slim
# Debian with the binary, the site's static files and CA certificates, run as a non-root user.

FROM rust:1.95-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends npm \
 && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown \
 && cargo install cargo-leptos --version 0.3.10 --locked --features no_downloads \
 && cargo install wasm-bindgen-cli --version 0.2.130 \
 && npm install --prefix /opt/binaryen binaryen@132
ENV PATH="/opt/binaryen/node_modules/.bin:${PATH}"
WORKDIR /src
COPY . .
RUN cargo leptos build --release

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin keygate \
 && mkdir -p /data /srv/keygate \
 && chown keygate:keygate /data
COPY --from=build /src/target/release/keygate /usr/local/bin/keygate
COPY --from=build /src/target/site /srv/keygate/site
ENV KEYGATE_ADDR=0.0.0.0:3000 \
    KEYGATE_DATA_DIR=/data \
    LEPTOS_SITE_ROOT=/srv/keygate/site \
    KEYGATE_LOG_FORMAT=json
USER keygate
VOLUME ["/data"]
EXPOSE 3000
ENTRYPOINT ["/usr/local/bin/keygate"]
CMD ["serve"]
