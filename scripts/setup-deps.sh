#!/usr/bin/env bash
# Installs the Debian bookworm packages Portico builds, tests and demos with.
# Idempotent: only missing packages are installed. As non-root it prints the
# command to run and exits non-zero instead of trying sudo behind your back.
set -euo pipefail

packages=(
  cmake ninja-build pkg-config g++ make ccache
  libgrpc++-dev libgrpc-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libre2-dev libc-ares-dev
  libssl-dev openssl libcurl4-openssl-dev rapidjson-dev libyaml-cpp-dev
  android-libboringssl-dev  # tls_tests_boringssl only (PORTICO_BORINGSSL); binaries use OpenSSL
  libuv1-dev node-llhttp libnghttp2-dev zlib1g-dev libbrotli-dev catch2
  curl python3 procps
  clang libclang-rt-14-dev
)
command -v kubectl >/dev/null || packages+=(kubernetes-client)  # e2e tests drive kubectl

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  echo "portico: missing Debian packages: ${missing[*]}" >&2
  echo "portico: run as root, then retry:" >&2
  echo "  sudo sh -c '$cmd'" >&2
  exit 1
fi

echo "portico: installing ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
