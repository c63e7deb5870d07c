#!/usr/bin/env bash
# Installs the Debian packages listed in tools/apt-packages.txt that are not
# installed yet. Idempotent and silent when everything is present.
set -euo pipefail

list="$(dirname "$0")/apt-packages.txt"
mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$list" | grep -v '^$')

missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "bazelw: missing Debian packages (${missing[*]}) and not root, no sudo to install them" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "bazelw: missing packages (${missing[*]}) and no apt-get on this machine" >&2
  exit 1
fi

echo "bazelw: installing ${missing[*]}" >&2
log=$(mktemp)
if ! "${sudo[@]}" apt-get update -qq >"$log" 2>&1 ||
   ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
       apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
  cat "$log" >&2
  echo "bazelw: could not install: ${missing[*]} (apt-get log above)" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
