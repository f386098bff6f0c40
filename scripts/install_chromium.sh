#!/bin/sh
# Debian's headless Chromium and its WebDriver, for the dashboard preview's PNGs and the browser
# tests. Installs them with apt-get when missing and run as root; otherwise says what to run.
set -eu
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "headless Chromium is missing: run 'sudo apt-get install -y chromium chromium-driver'" \
        "(Debian/Ubuntu), or set CHROMIUM and CHROMEDRIVER to an installed browser and driver" >&2
    exit 1
fi
echo "installing Debian's chromium and chromium-driver (apt-get, about 1 minute)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq -o DPkg::Lock::Timeout=300 chromium chromium-driver >/dev/null
echo "installed: $(/usr/bin/chromium --version)" >&2
