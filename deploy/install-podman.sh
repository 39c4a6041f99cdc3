#!/usr/bin/env bash
# Podman and what `make image` needs, from Debian's packages, when missing (run as root).
# Rootful Podman on the host's network needs neither uidmap nor slirp4netns nor
# fuse-overlayfs; the OCI runtime is runc, as deploy/containers.conf says.
set -euo pipefail

missing=()
for package in podman runc debootstrap; do
    dpkg-query --show --showformat='${db:Status-Status}' "$package" 2>/dev/null \
        | grep -qx installed || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "missing ${missing[*]}: run $0 as root" >&2
    exit 1
fi
echo "installing ${missing[*]} from Debian's packages" >&2
# Another apt run on the machine holds the lock for a while: wait for it rather than fail.
apt_options=(-q -o DPkg::Lock::Timeout=900)
apt-get "${apt_options[@]}" update
DEBIAN_FRONTEND=noninteractive apt-get "${apt_options[@]}" install -y --no-install-recommends \
    "${missing[@]}"
