#!/usr/bin/env bash
# `npm run bench:harness`: Passerelle beside the direct path and ocserv+OpenConnect, measured
# one after the other in one run of the shared VPN bench harness (../shared/bench), so the
# ratios the issue asks for (TCP ≥ 3× ocserv-dtls, conn/s ≥ ocserv, ...) come from the same
# machine and the same minute, not from anchors taken elsewhere. A benchmark: it prints
# figures, it asserts nothing.
#
# Usage (root): bench/harness.sh [peer ...]   default: baseline ocserv-tls ocserv-dtls passerelle
# Environment: HARNESS (default ../shared/bench), BENCH_RESULTS (default
# /tmp/passerelle-bench-results), and the harness's own knobs (T_BULK, AB_N, ...).
# ocserv and openconnect are Debian packages (`apt-get install ocserv openconnect`); without
# them the ocserv peers are left out, with a note.
set -euo pipefail
PROJECT="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
HARNESS="${HARNESS:-$PROJECT/../shared/bench}"
export BENCH_RESULTS="${BENCH_RESULTS:-/tmp/passerelle-bench-results}"
export BENCH_EXTRA_PEERS="$PROJECT/bench/peers"

[ "$(id -u)" = 0 ] || { echo "run as root: the harness builds network namespaces" >&2; exit 1; }
[ -x "$HARNESS/run-all.sh" ] || { echo "no bench harness at $HARNESS (set HARNESS=)" >&2; exit 1; }
for tool in iperf3 ab nginx curl ping python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (see $HARNESS/README.md, Requirements)" >&2; exit 1; }
done

peers=("$@")
[ ${#peers[@]} -gt 0 ] || peers=(baseline ocserv-tls ocserv-dtls passerelle)
if ! command -v ocserv >/dev/null || ! command -v openconnect >/dev/null; then
  echo "note: ocserv/openconnect not installed (apt-get install ocserv openconnect): ocserv peers left out" >&2
  kept=()
  for p in "${peers[@]}"; do [[ "$p" == ocserv* ]] || kept+=("$p"); done
  peers=("${kept[@]}")
fi

(cd "$PROJECT" && npm run --silent build)
mkdir -p "$BENCH_RESULTS"
"$HARNESS/run-all.sh" "${peers[@]}" >&2
report="$(ls -t "$BENCH_RESULTS"/anchors-*.md | head -1)"
# The two tables that matter here: absolute figures and ratios to the direct path.
sed -n '/^## Absolute numbers/,/^## Crypto ceiling/p' "$report" | sed '$d'
echo "full report: $report"
