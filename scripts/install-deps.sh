#!/usr/bin/env bash
# Installs exactly the Debian packages kcau's build, demo and tests need, and only the ones
# that are missing, so that `make demo` and `make test` work on a fresh Debian 12 machine.
# Idempotent: a second run installs nothing and does not touch the network.
set -euo pipefail

packages=(
  cmake make g++ pkg-config ccache      # toolchain
  libcpprest-dev libboost-dev libssl-dev # HTTP client/server, JSON, TLS
  libyaml-cpp-dev libspdlog-dev libfmt-dev
  prometheus-cpp-dev                    # metrics: registry, families, text exposition
  libgtest-dev libgmock-dev             # unit tests
  prometheus                            # promtool; a real Prometheus in e2e.Prometheus
  python3 python3-kubernetes python3-yaml # the real Python client as a test peer
  openssl curl                          # certificates, probing endpoints in the demo
  busybox-static                        # a throwaway root for the agent's ChrootHost tests
  # The agent plug-in tests drive real package managers in throwaway roots: a Debian root
  # (mmdebstrap), test .debs and a local apt repository (dpkg-deb, dpkg-scanpackages,
  # apt-ftparchive), and dnf with --installroot over test rpms (rpmbuild, createrepo_c).
  mmdebstrap dpkg-dev apt-utils
  dnf dnf-plugins-core rpm createrepo-c
  # The Helm chart is rendered by Go's text/template with sprig, as Helm renders it, and its
  # values checked against values.schema.json.
  golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev python3-jsonschema
  lua5.1                                # the Argo CD health check, run by a real Lua 5.1
  umoci                                 # make image: OCI images without a daemon (mmdebstrap above)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
