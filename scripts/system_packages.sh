#!/usr/bin/env bash
# The system packages the tests need, installed with apt-get when one is missing (`make test` runs this):
#   chromium               the real browser of the end-to-end tests (a missing browser fails them)
#   dataset-fashion-mnist  the IDX files the acceptance tests train on
#   fonts-wqy-microhei     a CJK font, so the 中文 screenshots show characters, not boxes
#   python3-venv           what `python3 -m venv` needs on Debian/Ubuntu
# As root (CI) it runs apt-get directly, otherwise through sudo; never waits for input it cannot get.
set -euo pipefail

PACKAGES=(chromium dataset-fashion-mnist fonts-wqy-microhei)
declare -A PRESENT_IF=(
    [chromium]=${DROPVIZ_CHROMIUM:-/usr/bin/chromium}
    [dataset-fashion-mnist]=/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
    [fonts-wqy-microhei]=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
)

missing=()
for package in "${PACKAGES[@]}"; do
    [[ -e "${PRESENT_IF[$package]}" ]] || missing+=("$package")
done
# `make` creates .venv with python3 -m venv, which Debian ships separately.
"${PYTHON:-python3}" -c "import ensurepip" 2>/dev/null || missing+=(python3-venv)
[[ ${#missing[@]} -eq 0 ]] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "make test needs these system packages, and this machine has no apt-get to install them:" >&2
    echo "  ${missing[*]}  (Debian/Ubuntu names)" >&2
    echo "Install the equivalents (Chromium at /usr/bin/chromium or DROPVIZ_CHROMIUM=<path>), then run make test again." >&2
    exit 1
fi

run=()
if [[ $(id -u) -ne 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "make test needs: ${missing[*]}. Not root and no sudo: run as root  apt-get install ${missing[*]}" >&2
        exit 1
    fi
    run=(sudo)
    # Without a terminal sudo cannot ask for a password: fail with the command rather than hang.
    [[ -t 0 ]] || run=(sudo -n)
fi

echo "installing the system packages the tests need: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! { "${run[@]}" apt-get update -qq && "${run[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
    echo "could not install ${missing[*]} with apt-get; install them yourself (apt-get install ${missing[*]})" >&2
    exit 1
fi
