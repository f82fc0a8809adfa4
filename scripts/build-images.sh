#!/usr/bin/env bash
# make image: OCI images of kcau-controller and kcau-agent, made from Debian packages only.
#
#   scripts/build-images.sh [BUILD_DIR [OUT_DIR]]     (defaults: build, BUILD_DIR/images)
#
# Each image is two layers: a Debian bookworm root (mmdebstrap: the essential set plus the
# shared libraries the binaries link and ca-certificates; no docs, no apt, no perl) and the
# binary, stripped of its debug info, in /usr/local/bin. Both images share that root, which is
# made once and cached in /var/cache/kcau-test (KCAU_TEST_CACHE overrides the folder; the file
# name carries a hash of how it is made, so a changed package list makes a new one). Only the
# first run needs Debian's mirror; later runs work offline.
#
# Out: OUT_DIR/kcau-controller and OUT_DIR/kcau-agent (OCI image layouts) and
# OUT_DIR/<name>-<version>.tar (the same as an oci-archive), each holding one image whose
# reference is the name deploy/*.yaml uses, kcau/<name>:<version> (the project's version), so
# `podman load` and `skopeo copy` name it so. Packed with umoci: no daemon, no registry.
#
# Labels (IMAGE_SOURCE, IMAGE_LICENSES override): org.opencontainers.image.source is the git
# remote "origin" when there is one and left out otherwise; .licenses is NOASSERTION because
# the repository states no license.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=$(cd "${1:-build}" && pwd)
OUT_DIR=${2:-$BUILD_DIR/images}
CACHE=${KCAU_TEST_CACHE:-/var/cache/kcau-test}

die() { echo "build-images: $*" >&2; exit 1; }

for tool in mmdebstrap umoci strip flock sha256sum; do
  command -v "$tool" >/dev/null || die "$tool is missing (scripts/install-deps.sh installs it)"
done

# The version the binaries were built with (CMakeLists.txt's project(VERSION)).
VERSION=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null)
[ -n "$VERSION" ] || die "no CMAKE_PROJECT_VERSION in $BUILD_DIR/CMakeCache.txt: configure first"
for binary in controller/kcau-controller agent/kcau-agent; do
  [ -x "$BUILD_DIR/$binary" ] || die "$BUILD_DIR/$binary is not built"
done

# The runtime libraries of both binaries, found as the dynamic loader finds them (ldd) and
# named by the package that ships each (dpkg -S) on the build machine, so a new library is
# never forgotten (e2e.Image checks ldd inside the images). usr-is-merged stands in for
# usrmerge, which the essential set would otherwise pull in with all of perl.
runtime_packages() {
  local lib real
  for binary in "$@"; do ldd "$BUILD_DIR/$binary"; done | awk '/=> \//{print $3}' | sort -u |
    while read -r lib; do
      real=$(readlink -f "$lib")
      dpkg -S "$real" 2>/dev/null || dpkg -S "$lib" 2>/dev/null ||
        dpkg -S "${real/#\/usr\/lib/\/lib}" || die "no package ships $lib"
    done | cut -d: -f1 | sort -u | paste -sd, -
}
PACKAGES=usr-is-merged,ca-certificates,$(runtime_packages controller/kcau-controller agent/kcau-agent)
# The controller's user: the Deployment runs it as 65532:65532 (deploy/20-controller.yaml).
USER_LINE='kcau:x:65532:65532:kcau-controller:/nonexistent:/usr/sbin/nologin'
GROUP_LINE='kcau:x:65532:'
BASE_ARGS=(
  --variant=essential --format=tar --skip=output/dev "--include=$PACKAGES"
  # Manuals, translations and docs are not read in a container; the copyright files stay.
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  "--customize-hook=chroot \"\$1\" dpkg --purge usrmerge libfile-find-rule-perl \
libnumber-compare-perl libtext-glob-perl perl libperl5.36 perl-modules-5.36 libgdbm-compat4 \
libgdbm6 >/dev/null"
  "--customize-hook=echo '$USER_LINE' >> \"\$1/etc/passwd\"; echo '$GROUP_LINE' >> \"\$1/etc/group\""
  # mmdebstrap's own cleanup empties apt's lists and cache after the hooks.
  "--customize-hook=rm -rf \"\$1\"/var/log/* \"\$1\"/var/cache/debconf/*-old \"\$1\"/var/lib/dpkg/*-old"
  bookworm
)
BASE_KEY=$(printf '%s\n' "${BASE_ARGS[@]}" | sha256sum | cut -c1-12)
BASE_TAR=$CACHE/image-base-$BASE_KEY.tar

# Under the lock the test caches share (tests/unit/agent/test_roots.cc): ctest may run the
# image test while `make image` runs.
mkdir -p "$CACHE"
(
  flock 9
  if [ ! -f "$BASE_TAR" ]; then
    echo "build-images: making the Debian root $BASE_TAR (mmdebstrap, once)"
    mmdebstrap --quiet "${BASE_ARGS[@]}" "$BASE_TAR.tmp" || { rm -f "$BASE_TAR.tmp"; exit 1; }
    mv "$BASE_TAR.tmp" "$BASE_TAR"
  fi
) 9>>"$CACHE/.lock"

CREATED=$(date -u ${SOURCE_DATE_EPOCH:+-d @$SOURCE_DATE_EPOCH} +%Y-%m-%dT%H:%M:%SZ)
REVISION=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || true)
SOURCE=${IMAGE_SOURCE-$(git -C "$ROOT" remote get-url origin 2>/dev/null || true)}
LICENSES=${IMAGE_LICENSES:-NOASSERTION}
WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/kcau-images.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT_DIR"

# build_image NAME BINARY USER DESCRIPTION
build_image() {
  local name=$1 binary=$2 user=$3 description=$4
  local layout=$OUT_DIR/$name reference=kcau/$name:$VERSION
  local image=$layout:$reference
  local staging=$WORK/$name
  mkdir -p "$staging/usr/local/bin"
  strip --strip-debug -o "$staging/usr/local/bin/$name" "$BUILD_DIR/$binary"
  tar -C "$staging" --owner=0 --group=0 --numeric-owner -cf "$WORK/$name.tar" ./usr
  rm -rf "$layout"
  umoci init --layout "$layout"
  umoci new --image "$image"
  umoci raw add-layer --image "$image" --history.created="$CREATED" \
    --history.created_by="mmdebstrap ${BASE_ARGS[*]}" "$BASE_TAR"
  umoci raw add-layer --image "$image" --history.created="$CREATED" \
    --history.created_by="strip --strip-debug $binary -> /usr/local/bin/$name" "$WORK/$name.tar"
  local annotations=(
    org.opencontainers.image.title="$name"
    org.opencontainers.image.description="$description"
    org.opencontainers.image.version="$VERSION"
    org.opencontainers.image.created="$CREATED"
    org.opencontainers.image.licenses="$LICENSES"
    org.opencontainers.image.base.name="debian:bookworm (mmdebstrap)"
  )
  [ -n "$REVISION" ] && annotations+=(org.opencontainers.image.revision="$REVISION")
  [ -n "$SOURCE" ] && annotations+=(org.opencontainers.image.source="$SOURCE")
  local flags=() a
  for a in "${annotations[@]}"; do flags+=(--config.label "$a" --manifest.annotation "$a"); done
  umoci config --image "$image" --no-history --created "$CREATED" --author kcau \
    --config.user "$user" --config.entrypoint "/usr/local/bin/$name" --config.workingdir / \
    --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    "${flags[@]}"
  umoci gc --layout "$layout"
  tar -C "$layout" -cf "$OUT_DIR/$name-$VERSION.tar.tmp" .
  mv "$OUT_DIR/$name-$VERSION.tar.tmp" "$OUT_DIR/$name-$VERSION.tar"
  echo "build-images: $reference: oci:$image, oci-archive:$OUT_DIR/$name-$VERSION.tar" \
    "($(du -sh "$layout" | cut -f1) compressed)"
}

build_image kcau-controller controller/kcau-controller 65532:65532 \
  "kcau's controller: takes the nodes an UpdateRun selects through cordon, drain, update, reboot and uncordon"
# Root by design: the agent enters the host's namespaces (nsenter, util-linux) to update and
# reboot its node (docs/agent.md).
build_image kcau-agent agent/kcau-agent 0:0 \
  "kcau's node agent: installs updates and reboots its node as the controller asks (privileged DaemonSet)"
