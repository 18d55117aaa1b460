#!/usr/bin/env bash
# The report.html test opens the report in the system's Chromium: npm downloads no browser.
# Run before the tests: finds it, or installs Debian's chromium when it may (root with apt-get).
for browser in "${TOUCHLINE_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome /usr/bin/google-chrome-stable; do
  [ -n "$browser" ] && [ -x "$browser" ] && exit 0
done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's chromium for the report.html test (once, about a minute)..." >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null && exit 0
fi
echo "warning: no Chromium: the report.html test will fail. Install it (apt-get install chromium) or set TOUCHLINE_CHROMIUM." >&2
exit 0
