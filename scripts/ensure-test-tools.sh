#!/usr/bin/env bash
# Tools some tests use from the system, never downloaded by npm: Chromium (the report.html test)
# and unzip (the packaged extension test). Found, or installed from Debian when allowed (root with apt-get).
missing=()
found_browser=""
for browser in "${TOUCHLINE_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome /usr/bin/google-chrome-stable; do
  [ -n "$browser" ] && [ -x "$browser" ] && found_browser=1 && break
done
[ -z "$found_browser" ] && missing+=(chromium)
command -v unzip >/dev/null || missing+=(unzip)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing ${missing[*]} from Debian for the tests (once, about a minute)..." >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null && exit 0
fi
echo "warning: ${missing[*]} missing: the tests that need them will fail. Install them (apt-get install ${missing[*]})${found_browser:+}, or set TOUCHLINE_CHROMIUM for the browser." >&2
exit 0
