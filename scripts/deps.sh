#!/usr/bin/env bash
# Installs the Debian packages tinybert builds with, or the packages named as arguments (the CI stages' extra
# compilers); idempotent (does nothing when they are present).
set -euo pipefail
pkgs=(cmake g++ make libeigen3-dev libsimdjson-dev libxtensor-dev catch2 libutf8proc-dev libbenchmark-dev libcpp-httplib-dev libdnnl-dev
      libopenmpi-dev openmpi-bin)
if (($#)); then pkgs=("$@"); fi
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
