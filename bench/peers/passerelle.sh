#!/usr/bin/env bash
# Passerelle as a peer of the VPN bench harness (../shared/bench, see its README): the
# gateway in pg, the headless client in pc, every flow within policy through one TLS
# connection. `npm run bench:harness` (bench/harness.sh) runs it beside the direct path and
# ocserv in one run; by hand, with the harness left read-only:
#   BENCH_EXTRA_PEERS=$PWD/bench/peers BENCH_RESULTS=/tmp/bench-results \
#     ../shared/bench/run-all.sh baseline ocserv-dtls passerelle
# Needs `npm ci && npm run build` in the project first. Address pool 10.203.0.0/24.
set -euo pipefail
SELF="$(readlink -f "$0")"
PROJECT="${PASSERELLE_DIR:-$(cd "$(dirname "$SELF")/../.." && pwd)}"
# The harness's helpers: beside this script when it is linked into a copy of the harness,
# else the shared folder next to the project.
for common in "$(dirname "$0")/../lib/common.sh" "$PROJECT/../shared/bench/lib/common.sh"; do
  if [ -f "$common" ]; then
    . "$common"
    break
  fi
done
command -v bg_start >/dev/null || { echo "passerelle.sh: the bench harness's lib/common.sh was not found" >&2; exit 1; }
D="$STATE/passerelle"

up() {
  [ -f "$PROJECT/dist/cli/gateway.js" ] || die "passerelle: build the project first (npm run build in $PROJECT)"
  mkdir -p "$D"; chmod 700 "$D"
  (
    cd "$D"
    openssl ecparam -name prime256v1 -genkey -noout -out ca.key
    openssl req -x509 -new -key ca.key -subj /CN=bench-ca -days 2 -out ca.crt
    openssl ecparam -name prime256v1 -genkey -noout -out gw.key
    openssl req -new -key gw.key -subj /CN=bench-gateway -out gw.csr
    printf 'subjectAltName=IP:%s\n' "$PUB_GW" >ext.cnf
    openssl x509 -req -in gw.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile ext.cnf -out gw.crt
  ) >/dev/null 2>&1 || die "passerelle: certificate generation failed"
  local password=bench-password
  printf '%s\n' "$password" >"$D/password"
  local hash
  hash="$(printf '%s\n' "$password" | node "$PROJECT/dist/cli/gateway.js" hash-password)"
  cat >"$D/users.yaml" <<USERS
- name: bench
  password: "$hash"
  groups: [bench]
USERS
  cat >"$D/gateway.yaml" <<CONFIG
listen: "$PUB_GW:443"
tls: { cert: gw.crt, key: gw.key }
auth: { users: users.yaml }
addressPool: 10.203.0.0/24
routes: [$PRIV_NET]
resources:
  - { name: intranet, address: $PRIV_NET }
policies:
  - { groups: [bench], allow: [intranet] }
CONFIG
  node "$PROJECT/dist/cli/gateway.js" check --config "$D/gateway.yaml" >/dev/null || die "passerelle: bad gateway config"
  bg_start passerelle-gw $NS_GW node "$PROJECT/dist/cli/gateway.js" serve --config "$D/gateway.yaml"
  wait_until 15 grep -q 'listening on' "$LOGS/passerelle-gw.log" || die "passerelle: gateway did not start (see $LOGS/passerelle-gw.log)"
  bg_start passerelle-client $NS_CLIENT node "$PROJECT/dist/cli/client.js" connect "https://$PUB_GW" \
    --user bench --password-file "$D/password" --ca "$D/ca.crt" --tun psl0 --json
  wait_until 20 grep -q '"kind":"connected"' "$LOGS/passerelle-client.log" || die "passerelle: client did not connect (see $LOGS/passerelle-client.log)"
  wait_until 10 reach_tcp || die "passerelle: $TARGET not reachable"
}

down() {
  # SIGTERM: the client removes its TUN, routes and DNS itself.
  bg_stop passerelle-client
  bg_stop passerelle-gw
  pc ip link del psl0 2>/dev/null || true
  rm -rf "$D"
}

case "${1:-}" in
  caps) echo "tcp udp icmp" ;;
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down|caps" >&2; exit 2 ;;
esac
