#!/bin/sh
# Install the system libraries build-report needs, only where they are missing: Pango
# (WeasyPrint's text layout), a Java runtime (EPUBCheck) and Python's venv module (the README's
# commands make a virtual environment); with --test also Chromium and chromedriver (the preview
# test). A no-op on a machine that has them. Works for a normal user too: it only reads the
# system to find what is there, and installs with apt-get as root, or through sudo when that
# needs no password; otherwise it says what to install.
set -e

has_library() {
  # ldconfig lives in /sbin, which is not on a normal user's PATH
  for ldconfig in ldconfig /sbin/ldconfig /usr/sbin/ldconfig; do
    if command -v "$ldconfig" >/dev/null 2>&1 && "$ldconfig" -p 2>/dev/null | grep -q "$1"; then
      return 0
    fi
  done
  for dir in /usr/lib /usr/lib64 /usr/local/lib /lib /usr/lib/*-linux-gnu /opt/homebrew/lib; do
    ls "$dir"/"$1"* >/dev/null 2>&1 && return 0
  done
  return 1
}

missing=""
has_library libpango-1.0.so || has_library libpango-1.0.0.dylib || missing="$missing libpango-1.0-0 libpangoft2-1.0-0"
command -v java >/dev/null 2>&1 || missing="$missing default-jre-headless"
python3 -c "import ensurepip, venv" >/dev/null 2>&1 || missing="$missing python3-venv"
# Headless Chromium and its driver, for the preview test (a real browser loads the served page).
if [ "${1:-}" = "--test" ]; then
  command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
  command -v chromedriver >/dev/null 2>&1 || missing="$missing chromium-driver"
fi
[ -z "$missing" ] && exit 0

if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
    exit 0
  fi
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
    exit 0
  fi
  echo "build-report needs these Debian packages:$missing" >&2
  echo "ask an administrator to run: sudo apt-get install$missing" >&2
  exit 1
fi
echo "build-report needs, from your system's package manager:" >&2
case "$missing" in *pango*) echo "  - Pango 1.44 or newer (dnf: pango; brew: pango)" >&2 ;; esac
case "$missing" in *jre*) echo "  - a Java runtime, 11 or newer (dnf: java-17-openjdk-headless; brew: openjdk)" >&2 ;; esac
case "$missing" in *venv*) echo "  - Python 3.11+ with its venv module (dnf: python3; brew: python)" >&2 ;; esac
case "$missing" in *chromium*) echo "  - Chromium and chromedriver, for the tests (dnf: chromium chromedriver; brew: chromium chromedriver)" >&2 ;; esac
exit 1
