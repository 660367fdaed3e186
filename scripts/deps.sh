#!/usr/bin/env bash
# Installs the Debian packages Mixroom needs, only those missing (idempotent; one apt-get update at most).
set -euo pipefail
packages=(
  cmake ninja-build g++ pkg-config
  qt6-base-dev qt6-websockets-dev qt6-httpserver-dev libqt6sql6-sqlite libssl3
  libsndfile1-dev libsoxr-dev libebur128-dev
  libopus-dev libopusenc-dev libopusfile-dev portaudio19-dev
  ffmpeg sox flac opus-tools jackd2
)
# `deps.sh test` adds what only the test command needs: clang with libFuzzer for the fuzz targets,
# Chromium for the review page's browser tests, openssl for their throwaway CA.
[ "${1:-}" = "test" ] && packages+=(clang libclang-rt-14-dev chromium openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "Installing missing Debian packages: ${missing[*]}" >&2
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -q
# jackd2 asks whether to enable realtime scheduling; the tests run JACK's dummy backend and need none.
echo "jackd2 jackd/tweak_rt_limits boolean false" | "${sudo_cmd[@]}" debconf-set-selections
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
