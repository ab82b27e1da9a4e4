#!/usr/bin/env bash
# Provide the headless browser the HTML-report and app tests drive: Debian's `chromium`
# (Playwright's Python client launches it through executable_path; no browser download).
# Does nothing when `chromium` is already on PATH; otherwise installs it with apt-get
# (root, or sudo without a password).
set -euo pipefail
log() { printf '[install] %s\n' "$*"; }

if command -v chromium >/dev/null 2>&1; then
  log "chromium found: $(command -v chromium)"
  exit 0
fi
SUDO=
if [ "$(id -u)" != 0 ]; then
  if sudo -n true 2>/dev/null; then SUDO='sudo -n'; else
    log "chromium is missing and apt-get needs root: run 'sudo apt-get install chromium'"
    log "(the browser tests of the HTML report and the app fail without it)"
    exit 0
  fi
fi
log "installing chromium with apt-get (headless browser for the report and app tests)"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
log "chromium installed: $(command -v chromium)"
