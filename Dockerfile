# The clusterregistry server as a small non-root image. The build context is made by .ci/image.sh: app/ holds the
# self-contained single-file publish (linux-x64), data/ is an empty directory. Nothing runs at build time (no RUN),
# so the same file builds on the public .NET base and on a shell-less base made from Debian packages:
#   docker build -t clusterregistry:local CONTEXT                                       (mcr runtime-deps)
#   docker build --build-arg BASE=clusterregistry-build/runtime-deps:bookworm CONTEXT   (offline, see .ci/image.sh)
ARG BASE=mcr.microsoft.com/dotnet/runtime-deps:10.0
FROM ${BASE}

COPY app/ /app/
# The data directory belongs to the server's user, so a new volume mounted here starts out writable by it.
COPY --chown=65532:65532 data/ /var/lib/clusterregistry/

# A fixed non-root UID (no passwd entry needed); HOME, writable by any UID, for the runtime's per-user files.
USER 65532:65532
ENV HOME=/tmp
VOLUME /var/lib/clusterregistry
EXPOSE 6443
# Probes: GET https://<pod>:6443/livez and /readyz (open without credentials). TLS files and token files are
# mounted and named with --tls-cert-file/--tls-private-key-file/--token-auth-file after the image name; without
# them the server generates a certificate, an admin token and <data>/kubeconfig (give --external-url so that
# kubeconfig names the address clients outside the container use).
ENTRYPOINT ["/app/clusterregistry", "standalone", "--bind-address", "0.0.0.0", "--data-dir", "/var/lib/clusterregistry"]
