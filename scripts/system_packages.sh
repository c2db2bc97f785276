#!/usr/bin/env bash
# Sourced by test.sh: the Debian packages the tests use (espeak-ng speaks the test callers' lines;
# chromium runs the browser tests, driven by Playwright through its executablePath).
# Installs what is missing when apt-get can (root); otherwise says what to install.
need=()
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ "${#need[@]}" -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian packages: ${need[*]}" >&2
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" > .venv/apt-install.log 2>&1; then
      DEBIAN_FRONTEND=noninteractive apt-get update -q >> .venv/apt-install.log 2>&1 || true
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >> .venv/apt-install.log 2>&1 \
        || { tail -n 20 .venv/apt-install.log >&2; echo "setup: apt-get install failed" >&2; exit 1; }
    fi
  else
    echo "setup: please install these Debian packages: ${need[*]} (tests that need them fail when CI=true)" >&2
  fi
fi
