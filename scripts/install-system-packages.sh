#!/usr/bin/env bash
# Debian packages gongkai needs; installs only what is missing (apt-get update only then).
set -euo pipefail
packages=(
    fonts-wqy-zenhei  # a CJK font: tests render Chinese text to scanned pages for OCR
    chromium          # the browser tests drive the Prefect UI's review form with it (Playwright)
    libgl1 libglib2.0-0  # OpenCV, which the OCR engine uses, links against them
)
missing=()
for package in "${packages[@]}"; do
    # "deinstall ok config-files" still answers dpkg -s: ask for the installed state itself
    [ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" = "install ok installed" ] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
