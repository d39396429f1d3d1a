#!/bin/bash -e
# pi-gen, on the build host: the Soko Hub overlay (files/ is image/overlay, shared with the
# Debian image) and the hub's aarch64 wheelhouse, made beforehand on the host with
#   image/make-wheelhouse --arch arm64 --out DIR   and passed as SOKO_WHEELHOUSE=DIR.
: "${ROOTFS_DIR:?pi-gen sets ROOTFS_DIR}"
: "${SOKO_WHEELHOUSE:?set SOKO_WHEELHOUSE to a directory made by image/make-wheelhouse --arch arm64}"
HERE=$(cd "$(dirname "$0")" && pwd)

cp -a --no-preserve=ownership "${HERE}/files/." "${ROOTFS_DIR}/"
chown -R root:root "${ROOTFS_DIR}/etc/systemd" "${ROOTFS_DIR}/usr/lib/soko-hub" "${ROOTFS_DIR}/etc/soko-hub"
rm -rf "${ROOTFS_DIR}/var/tmp/soko-wheelhouse"
install -d "${ROOTFS_DIR}/var/tmp/soko-wheelhouse"
cp "${SOKO_WHEELHOUSE}"/*.whl "${ROOTFS_DIR}/var/tmp/soko-wheelhouse/"
