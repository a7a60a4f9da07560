#!/usr/bin/env bash
# Installs the Debian packages the app needs (run) or its tests need as well (test).
# As root it installs what is missing with apt-get; otherwise it names what is missing and stops.
set -euo pipefail
what="${1:-run}"

# run: Pango and HarfBuzz's subsetter for WeasyPrint (without libharfbuzz-subset0 a Chinese PDF takes
# seconds instead of milliseconds), and an open CJK font for the PDFs and the pages; HanaMin (fonts-hanazono) for the
# rare characters of names and places that no other font has (CJK Extensions A to F, e.g. 𠀀), in the PDFs; fontconfig's
# fc-match, which finds the installed Noto face that `make fonts` cuts the common characters from (claims/documents/fonts.py).
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-wqy-microhei fonts-noto-cjk fonts-hanazono)
if [ "$what" = "test" ]; then
  # test: pdftotext and pdftoppm to check the PDFs, Debian's Chromium for the browser tests, SoftHSM as the PKCS#11
  # token the signing tests keep a key on.
  packages+=(poppler-utils chromium softhsm2)
fi

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "These system packages are missing: ${missing[*]}" >&2
  echo "Install them as root, for example: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
