# syntax=docker/dockerfile:1
# iamscope as a container image: a static-enough release binary on a distroless
# base (glibc + CA certificates, no shell, no package manager), run as the
# distroless `nonroot` user (65532). It writes nothing at run time (reports go
# to standard output, or to --out on a mounted volume), so it runs with a
# read-only root filesystem, as assets/k8s/iamscope-cronjob.yaml does.
#
#   docker build -t ghcr.io/iamscope/iamscope:0.1.0 .
#   docker run --rm ghcr.io/iamscope/iamscope:0.1.0 audit --demo --format table
#
# The build stage is the full Rust image (it has make, which jemalloc's build
# needs; aws-lc-rs builds with its C compiler). Keep RUST_VERSION at or above
# Cargo.toml's rust-version.
ARG RUST_VERSION=1.94.1

FROM docker.io/library/rust:${RUST_VERSION}-trixie AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY assets ./assets
COPY benches ./benches
COPY examples ./examples
RUN cargo build --release --locked --bin iamscope \
    && install -m 0755 target/release/iamscope /iamscope

# Debian 13 like the build stage, so the glibc the binary links against is there.
FROM gcr.io/distroless/cc-debian13:nonroot
LABEL org.opencontainers.image.title="iamscope" \
      org.opencontainers.image.description="Audit who can do what in a Kubernetes cluster on AWS" \
      org.opencontainers.image.source="https://github.com/iamscope/iamscope" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /iamscope /usr/local/bin/iamscope
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/iamscope"]
CMD ["--help"]
