#!/bin/sh
# Install the system libraries build-report needs, only where they are missing:
# Pango (WeasyPrint's text layout) and a Java runtime (EPUBCheck); with --test also Chromium and
# chromedriver (the preview test). A no-op on a machine that has them.
set -e
missing=""
ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so' || missing="$missing libpango-1.0-0 libpangoft2-1.0-0"
command -v java >/dev/null 2>&1 || missing="$missing default-jre-headless"
# Headless Chromium and its driver, for the preview test (a real browser loads the served page).
if [ "${1:-}" = "--test" ]; then
  command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
  command -v chromedriver >/dev/null 2>&1 || missing="$missing chromium-driver"
fi
if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "build-report needs:$missing (install them with your package manager)" >&2
    exit 1
  fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
fi
