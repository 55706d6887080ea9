#!/usr/bin/env bash
# Set-up for a fresh machine: system packages (tesseract + Indonesian data, OCR-A font, poppler),
# a virtualenv, and the project with its dev dependencies. Safe to run again.
set -euo pipefail
PY=${PY:-python3}
VENV=${VENV:-.venv}

need_apt=()
command -v tesseract >/dev/null 2>&1 || need_apt+=(tesseract-ocr)
if ! { command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx ind; }; then
  need_apt+=(tesseract-ocr-ind)
fi
[ -f /usr/share/fonts/truetype/ocr-a/OCRA.ttf ] || need_apt+=(fonts-ocr-a)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_apt+=(fonts-dejavu-core)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf ] || need_apt+=(fonts-dejavu-extra)  # sample generator: condensed KTP fonts
[ -f /usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf ] || need_apt+=(fonts-liberation)
[ -f /usr/share/fonts/truetype/freefont/FreeSans.ttf ] || need_apt+=(fonts-freefont-ttf)  # sample generator: newer layout families
# sample generator, field mode: handwriting on older diplomas, office fonts of printed letters
[ -f /usr/share/fonts/truetype/ecolier-court/Ecolier-court.ttf ] || need_apt+=(fonts-ecolier-court)
[ -f /usr/share/fonts/opentype/dancingscript/DancingScript-Regular.otf ] || need_apt+=(fonts-dancingscript)
[ -f /usr/share/fonts/truetype/fifthhorseman/dkg.ttf ] || need_apt+=(fonts-dkg-handwriting)
[ -f /usr/share/fonts/truetype/crosextra/Carlito-Regular.ttf ] || need_apt+=(fonts-crosextra-carlito)
[ -f /usr/share/fonts/truetype/crosextra/Caladea-Regular.ttf ] || need_apt+=(fonts-crosextra-caladea)
[ -f /usr/share/fonts/truetype/open-sans/OpenSans-Regular.ttf ] || need_apt+=(fonts-open-sans)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
# the review database tests: scripts/test.sh starts a throw-away cluster (initdb, pg_ctl) when none answers
{ command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; } || need_apt+=(postgresql)
command -v pdftoppm >/dev/null 2>&1 || need_apt+=(poppler-utils)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)  # review app browser tests (Playwright drives it)

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${need_apt[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  if command -v apt-get >/dev/null 2>&1 && { [ -z "$SUDO" ] || command -v sudo >/dev/null 2>&1; }; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "setup: cannot install ${need_apt[*]} (no apt-get or no root)." >&2
    echo "       Install them with your package manager (Debian/Ubuntu: apt-get install ${need_apt[*]})." >&2
    exit 1
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e ".[dev]"
echo "setup: ready ($("$VENV/bin/python" --version), $(tesseract --version 2>&1 | head -1))"
