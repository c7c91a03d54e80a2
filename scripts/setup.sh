#!/usr/bin/env bash
# Sets pcapkit up from a fresh clone on Debian/Ubuntu: installs libpcap-dev when it is
# missing (and, with --with-tools, the tools the tests compare against: tcpdump, tshark,
# capinfos, scapy, chromium for the HTML report test, and ping for the ICMP sniff test), installs the npm dependencies (which
# builds the addon) and compiles the TS.
set -euo pipefail
cd "$(dirname "$0")/.."

with_tools=0
for arg in "$@"; do
  case "$arg" in
    --with-tools) with_tools=1 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 64 ;;
  esac
done

need=()
if ! { command -v pcap-config >/dev/null 2>&1 || [ -f /usr/include/pcap/pcap.h ]; }; then
  need+=(libpcap-dev)
fi
if [ "$with_tools" = 1 ]; then
  command -v tcpdump >/dev/null 2>&1 || need+=(tcpdump)
  command -v tshark >/dev/null 2>&1 || need+=(tshark)
  command -v capinfos >/dev/null 2>&1 || need+=(wireshark-common)
  command -v ip >/dev/null 2>&1 || need+=(iproute2)
  command -v openssl >/dev/null 2>&1 || need+=(openssl)
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  command -v ping >/dev/null 2>&1 || need+=(iputils-ping)
  # scapy's own summary()/show(), the oracle of the presentation test
  /usr/bin/python3 -c 'import scapy' >/dev/null 2>&1 || need+=(python3-scapy)
fi

if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]} with apt-get"
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "setup: need root (or sudo) to install: ${need[*]}" >&2; exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Build against the installed Node's headers when they are there (no header download).
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node_api.h ]; then
  export npm_config_nodedir=/usr
fi

if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
npm run --silent build:ts
echo "setup: ready ($(node -p "require('./dist/cjs/index.js').libpcapVersion()"))"
