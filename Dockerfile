# Soko Hub as a container (image/README.md, "The container"): multi-stage, non-root, the data
# directory a volume, amd64 and arm64.
#
# The build context is made by image/container-context: this repository's wheel and a wheelhouse
# per architecture (wheelhouse/amd64, wheelhouse/arm64), the same wheels the Pi image installs,
# so the build installs with --no-index and needs no registry:
#   image/container-context ctx && podman build --format docker -t soko-hub -f Dockerfile ctx
# (--format docker: the OCI format has no HEALTHCHECK)
# BASE_IMAGE is any Debian bookworm (or later) image; python3 and python3-venv are installed
# with apt only when the base lacks them.
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${BASE_IMAGE} AS build
ARG TARGETARCH
RUN if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then \
        apt-get update && apt-get install -y --no-install-recommends python3 python3-venv \
        && rm -rf /var/lib/apt/lists/*; \
    fi
COPY wheelhouse/ /wheelhouse/
RUN arch=${TARGETARCH:-$(dpkg --print-architecture)} \
    && python3 -m venv /opt/soko-hub/venv \
    && /opt/soko-hub/venv/bin/pip install --no-cache-dir --no-index \
        --find-links /wheelhouse/"$arch" --find-links /wheelhouse soko-hub \
    && /opt/soko-hub/venv/bin/pip uninstall -y -q pip \
    && find /opt/soko-hub/venv -name '__pycache__' -prune -exec rm -rf {} + \
    && /opt/soko-hub/venv/bin/python -m compileall -q -j 0 /opt/soko-hub/venv/lib >/dev/null

FROM ${BASE_IMAGE}
RUN if ! command -v python3 >/dev/null; then \
        apt-get update && apt-get install -y --no-install-recommends python3 \
        && rm -rf /var/lib/apt/lists/*; \
    fi \
    && groupadd --system --gid 10001 soko-hub \
    && useradd --system --uid 10001 --gid soko-hub --home-dir /var/lib/soko-hub --shell /usr/sbin/nologin soko-hub \
    && install -d -o soko-hub -g soko-hub -m 0750 /var/lib/soko-hub
COPY --from=build /opt/soko-hub/venv /opt/soko-hub/venv
ENV PATH=/opt/soko-hub/venv/bin:$PATH \
    SOKO_HUB_DATA_DIR=/var/lib/soko-hub \
    SOKO_HUB_HOST=0.0.0.0 \
    SOKO_HUB_PORT=8443 \
    PYTHONDONTWRITEBYTECODE=1
USER soko-hub
WORKDIR /var/lib/soko-hub
VOLUME ["/var/lib/soko-hub"]
EXPOSE 8443
# Healthy when /api/v1/health answers 200 on the port and scheme the settings give.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["/opt/soko-hub/venv/bin/python", "-c", "import os, ssl, sys, urllib.request as u; tls = os.environ.get('SOKO_HUB_TLS', 'true').lower() not in ('0', 'false', 'no'); url = ('https' if tls else 'http') + '://127.0.0.1:' + os.environ.get('SOKO_HUB_PORT', '8443') + '/api/v1/health'; sys.exit(u.urlopen(url, context=ssl._create_unverified_context() if tls else None, timeout=4).status != 200)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/opt/soko-hub/venv/bin/soko-hub"]
CMD ["serve"]
