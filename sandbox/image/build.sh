#!/usr/bin/env bash
# Build tidegate's docker sandbox base image without a registry: Debian's busybox (dynamic,
# so libfaketime reaches it), python3.11 and libfaketime, imported from a rootfs tarball. Prints the pinned reference
# (tidegate-sandbox@sha256:<image id>) as the last line of stdout; everything else goes to stderr.
#
# Idempotent: the .debs are cached under $TIDEGATE_IMAGE_CACHE (default /var/cache/tidegate-image)
# and the rootfs is rebuilt from scratch each time with fixed timestamps, so the same packages
# give the same image ID (docker import of identical content and changes is reproducible only up
# to the created time, so an existing image with the same tarball digest label is reused).
set -euo pipefail

TAG="${TIDEGATE_IMAGE_TAG:-tidegate-sandbox:base}"
REPO="${TAG%%:*}"
CACHE="${TIDEGATE_IMAGE_CACHE:-/var/cache/tidegate-image}"
FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
PYTHON=/usr/bin/python3
# The smallest set that runs python3 -c with random/time/json/hashlib/socket plus libfaketime:
# the interpreter's "minimal" packages hold the core modules, the stdlib package the rest
# (json, random's _random, socket's _socket live in the interpreter or lib-dynload).
PACKAGES=(
    python3.11-minimal libpython3.11-minimal libpython3.11-stdlib
    libc6 zlib1g libexpat1 libssl3 libffi8 libbz2-1.0 liblzma5 libsqlite3-0 libuuid1
    libtinfo6 libncursesw6 libreadline8 libcrypt1 libgcc-s1 libfaketime busybox
    libdb5.3 libnsl2 libtirpc3 libgssapi-krb5-2 libkrb5-3 libk5crypto3
    libkrb5support0 libcom-err2 libkeyutils1
)

log() { echo "build.sh: $*" >&2; }

# dpkg -x keeps the packages' owners and chroot lists busybox's applets: both need root.
[ "$(id -u)" = 0 ] || { log "needs root (dpkg -x with owners, chroot); run it as root"; exit 1; }

command -v docker >/dev/null || { log "docker is not installed"; exit 1; }
docker version >/dev/null 2>&1 || { log "the docker daemon does not answer"; exit 1; }

mkdir -p "$CACHE/debs"
missing=()
for pkg in "${PACKAGES[@]}"; do
    compgen -G "$CACHE/debs/${pkg}_*.deb" >/dev/null || missing+=("$pkg")
done
if ((${#missing[@]})); then
    log "downloading ${missing[*]}"
    if ! (cd "$CACHE/debs" && apt-get download "${missing[@]}" >&2); then
        apt-get update >&2
        (cd "$CACHE/debs" && apt-get download "${missing[@]}" >&2)
    fi
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
mkdir -p "$root"
for pkg in "${PACKAGES[@]}"; do
    # Only the newest cached version of each listed package (the cache may hold older ones).
    deb="$(printf '%s\n' "$CACHE/debs/${pkg}"_*.deb | sort -V | tail -n1)"
    dpkg -x "$deb" "$root"
done

# Debian 12 is merged-/usr: the top-level bin, sbin and lib are symlinks into /usr.
for dir in bin sbin lib lib64; do
    if [ -d "$root/$dir" ] && [ ! -L "$root/$dir" ]; then
        mkdir -p "$root/usr/$dir"
        cp -a "$root/$dir/." "$root/usr/$dir/"
        rm -rf "${root:?}/$dir"
    fi
    mkdir -p "$root/usr/$dir"
    ln -s "usr/$dir" "$root/$dir"
done

# busybox applets as symlinks (sh, date, cat, head, od, ps, ...), never over a real binary.
# Debian's dynamically linked busybox, not busybox-static: libfaketime works through
# LD_PRELOAD, which a static binary ignores (a frozen clock must reach `date` too).
busybox="$root/usr/bin/busybox"
[ -x "$busybox" ] || { log "busybox did not unpack to /usr/bin/busybox"; exit 1; }
chroot "$root" /usr/bin/busybox --list-full | while read -r applet; do
    target="$root/$applet"
    mkdir -p "$(dirname "$target")"
    [ -e "$target" ] || [ -L "$target" ] || ln -s /usr/bin/busybox "$target"
done
ln -sf python3.11 "$root/usr/bin/python3"
[ -e "$root/usr/bin/python" ] || ln -s python3.11 "$root/usr/bin/python"
[ -e "$root$FAKETIME_LIB" ] || { log "libfaketime did not unpack to $FAKETIME_LIB"; exit 1; }

# Drop what the sandbox never needs: docs, manuals, locales beyond C, the dpkg bookkeeping.
rm -rf "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/info" \
    "$root/usr/share/locale" "$root/usr/share/lintian"

mkdir -p "$root/etc" "$root/tmp" "$root/workspace" "$root/run/tidegate/site" \
    "$root/proc" "$root/sys" "$root/dev" "$root/root" "$root/var/tmp"
chmod 1777 "$root/tmp" "$root/var/tmp"
chmod 0777 "$root/workspace"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
    >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
printf 'hosts: files\n' >"$root/etc/nsswitch.conf"
: >"$root/etc/hosts"
ldconfig -r "$root" 2>/dev/null || true

# A fixed mtime and sorted entries make the tarball (and its digest) a function of the packages.
find "$root" -exec touch -h -d @0 {} +
tar --sort=name --numeric-owner --owner=0 --group=0 -C "$root" -cf "$work/rootfs.tar" .
tarsum="$(sha256sum "$work/rootfs.tar" | cut -c1-64)"

# The python label names the interpreter the network allow-list's forwarder runs on; an image
# from an older recipe without it is not reused.
existing="$(docker images -q --no-trunc --filter "label=org.tidegate.rootfs=$tarsum" \
    --filter "label=org.tidegate.python=$PYTHON" | head -n1)"
if [ -n "$existing" ]; then
    log "reusing $existing (same rootfs)"
    docker tag "$existing" "$TAG" >&2
    id="$existing"
else
    # docker import names the result by the sha256 of its config: the image ID is the content
    # digest that tidegate pins (imported images have no registry RepoDigest).
    id="$(docker import \
        --change "LABEL org.tidegate.faketime=$FAKETIME_LIB" \
        --change "LABEL org.tidegate.rootfs=$tarsum" \
        --change "LABEL org.tidegate.python=$PYTHON" \
        --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
        --change "WORKDIR /workspace" \
        --change 'CMD ["/bin/sh"]' \
        "$work/rootfs.tar" "$TAG")"
fi
id="${id#sha256:}"
log "built $TAG = sha256:$id"
echo "$REPO@sha256:$id"
