#!/usr/bin/env bash
# Installs the system packages the full test suite drives for real, only when missing:
# pypy3 (capture on PyPy), chromium (viewer end-to-end tests), postgresql (server store),
# graphviz (checks our DOT output with `dot`), libxml2-utils (xmllint: our SVG is well-formed XML),
# binutils (nm and objdump: `node --prof-process` names native frames with them, the oracle of the V8 log's symbols),
# valgrind (callgrind_annotate reads our callgrind output), gcc and lcov (real gcov/lcov coverage files),
# clickhouse-server (the continuous store's ClickHouse backend; the tests start their own servers from
# scripts/clickhouse/). Debian/Ubuntu only; needs root or sudo.
set -euo pipefail

need=()
command -v pypy3 >/dev/null 2>&1 || need+=(pypy3)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v dot >/dev/null 2>&1 || need+=(graphviz)
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
command -v nm >/dev/null 2>&1 && command -v objdump >/dev/null 2>&1 || need+=(binutils)
command -v callgrind_annotate >/dev/null 2>&1 || need+=(valgrind)
command -v gcov >/dev/null 2>&1 || need+=(gcc)
command -v lcov >/dev/null 2>&1 || need+=(lcov)
command -v clickhouse-server >/dev/null 2>&1 || need+=(clickhouse-server)
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)

if [ ${#need[@]} -eq 0 ]; then
  echo "test dependencies: all present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
echo "test dependencies: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "test dependencies: installed ${need[*]}"
