#!/usr/bin/env bash
# Four validators on four "machines": each `gridledger node` runs in its own
# network namespace with its own address, joined by veth pairs to a bridge
# this test creates, so the multi-host path (`gridledger genesis --hosts`,
# one node config per host, peers dialing each other's addresses) runs over a
# real network stack. From the host side of the bridge the test submits
# transfers with `gridledger submit` and checks with `gridledger query` that
# every validator committed them with the same balances.
#
# Needs root (namespaces, links): otherwise exits 77, which ctest reports as
# skipped, with the reason. Everything it creates (namespaces, bridge, veth
# pairs, processes, files) is removed on every exit path; every wait is
# bounded. Usage: netns_cluster_test.sh /path/to/gridledger
set -uo pipefail

BIN=${1:?usage: netns_cluster_test.sh GRIDLEDGER_BINARY}
readonly N=4
readonly GRPC_BASE=7300
readonly READY_TIMEOUT_S=40
readonly COMMIT_TIMEOUT_S=60

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; dump_logs; exit 1; }

[ "$(id -u)" -eq 0 ] || skip "needs root to create network namespaces and a bridge"
command -v ip >/dev/null || skip "iproute2 (ip) is not installed"
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
[ -x "$BIN" ] || fail "no gridledger binary at $BIN"

# Leftovers of an earlier run of this test that was killed outright (so its
# trap never ran): its names carry its pid, which no longer lives.
for stale in $(ip netns list 2>/dev/null | grep -o '^gl[0-9]*n[0-9]'); do
  stale_pid=${stale#gl}; stale_pid=${stale_pid%n*}
  kill -0 "$stale_pid" 2>/dev/null || ip netns del "$stale" 2>/dev/null
done
for stale in $(ip -o link show type bridge 2>/dev/null | grep -o 'gl[0-9]*br'); do
  stale_pid=${stale#gl}; stale_pid=${stale_pid%br}
  kill -0 "$stale_pid" 2>/dev/null || ip link del "$stale" 2>/dev/null
done

# Names unique to this run (interface names stay under 16 bytes).
tag="gl$$"
bridge="${tag}br"
subnet=""
routes=$(ip -4 route show)
for third in $(seq $(( $$ % 200 + 20 )) 250) $(seq 20 250); do
  if ! grep -q "^10\.213\.${third}\." <<<"$routes"; then subnet="10.213.${third}"; break; fi
done
[ -n "$subnet" ] || skip "no free 10.213.x.0/24 subnet for the test bridge"
dir=$(mktemp -d "${TMPDIR:-/tmp}/netns_cluster.XXXXXX")
namespaces=()
pids=()

dump_logs() {
  for i in $(seq 0 $((N - 1))); do
    [ -f "$dir/node-0-$i.log" ] || continue
    echo "--- node-0-$i.log (last 20 lines)"
    tail -n 20 "$dir/node-0-$i.log"
  done
}

cleanup() {
  local pid ns waited
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    waited=0
    while kill -0 "$pid" 2>/dev/null && [ $waited -lt 50 ]; do sleep 0.1; waited=$((waited + 1)); done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  # Deleting one end of a veth pair deletes both at once (a namespace's
  # deletion would too, but asynchronously).
  for i in "${!namespaces[@]}"; do ip link del "${tag}h$i" 2>/dev/null; done
  for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null; done
  ip link del "$bridge" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the network: one bridge, one namespace + veth pair per validator -------
ip link add "$bridge" type bridge || skip "cannot create a bridge (no CAP_NET_ADMIN here?)"
ip addr add "$subnet.254/24" dev "$bridge" || fail "address on $bridge"
ip link set "$bridge" up || fail "bring $bridge up"
hosts_file="$dir/hosts"
: > "$hosts_file"
for i in $(seq 0 $((N - 1))); do
  ns="${tag}n$i"
  ip netns add "$ns" || skip "cannot create network namespaces here"
  namespaces+=("$ns")
  ip link add "${tag}h$i" type veth peer name "${tag}v$i" || fail "veth pair $i"
  ip link set "${tag}h$i" master "$bridge" up || fail "attach veth $i to $bridge"
  ip link set "${tag}v$i" netns "$ns" || fail "move veth $i into $ns"
  ip -n "$ns" addr add "$subnet.$((i + 1))/24" dev "${tag}v$i" || fail "address in $ns"
  ip -n "$ns" link set "${tag}v$i" up || fail "veth up in $ns"
  ip -n "$ns" link set lo up || fail "lo up in $ns"
  echo "$subnet.$((i + 1))" >> "$hosts_file"
done

# --- the deployment: one config per host, as an operator would make it ------
"$BIN" genesis --validators=$N --slices=1 --accounts=4 --balance=1000000 --out="$dir/genesis" \
  --hosts="$hosts_file" --config_dir="$dir/genesis" --data_root="$dir/data" \
  --grpc_base_port=$GRPC_BASE --metrics_base_port=7400 --backend=cpu > "$dir/genesis.out" 2>&1 ||
  { cat "$dir/genesis.out"; fail "gridledger genesis --hosts"; }
mkdir -p "$dir/data"

for i in $(seq 0 $((N - 1))); do
  # setpriv: a node dies with this script even if the script is killed outright.
  ip netns exec "${tag}n$i" setpriv --pdeathsig KILL -- \
    "$BIN" node --config="$dir/genesis/node-0-$i.toml" > "$dir/node-0-$i.log" 2>&1 &
  pids+=($!)
done

deadline=$((SECONDS + READY_TIMEOUT_S))
for i in $(seq 0 $((N - 1))); do
  until grep -q "^gridledger node ready slice=0 index=$i grpc=$subnet.$((i + 1)):$((GRPC_BASE + i))" \
      "$dir/node-0-$i.log" 2>/dev/null; do
    kill -0 "${pids[$i]}" 2>/dev/null || fail "validator $i exited before it was ready"
    [ $SECONDS -lt $deadline ] || fail "validator $i not ready within ${READY_TIMEOUT_S}s"
    sleep 0.2
  done
done
echo "4 validators ready on $subnet.1-$N"

node_addr() { echo "$subnet.$(($1 + 1)):$((GRPC_BASE + $1))"; }

# --- transactions: three transfers from account 0 to account 1 --------------
sender_secret=$(sed -n 1p "$dir/genesis/accounts.keys" | cut -d' ' -f2)
(umask 077; sed -n 2p "$dir/genesis/accounts.keys" | cut -d' ' -f2 > "$dir/recipient.key")
recipient=$("$BIN" keys show "$dir/recipient.key" | sed -n 's/^public //p')
[ ${#recipient} -eq 64 ] || fail "recipient public key"
: > "$dir/txs"
for nonce in 0 1 2; do
  "$BIN" tx build --kind=transfer --slice=0 --nonce=$nonce --genesis="$dir/genesis/genesis.toml" \
    --sender_secret="$sender_secret" --to_slice=0 --to="$recipient" --amount=7 >> "$dir/txs" ||
    fail "tx build nonce $nonce"
done
"$BIN" submit --tx_file="$dir/txs" --node="$(node_addr 0)" --json > "$dir/submit.out" 2>&1 ||
  { cat "$dir/submit.out"; fail "gridledger submit to validator 0"; }
mapfile -t tx_ids < <(grep -o '"tx_id":"[0-9a-f]*"' "$dir/submit.out" | cut -d'"' -f4)
[ ${#tx_ids[@]} -eq 3 ] || { cat "$dir/submit.out"; fail "expected 3 accepted tx ids"; }

# --- every validator, queried at its own address, committed all three -------
deadline=$((SECONDS + COMMIT_TIMEOUT_S))
for i in $(seq 0 $((N - 1))); do
  for id in "${tx_ids[@]}"; do
    until "$BIN" query tx "$id" --node="$(node_addr "$i")" --timeout_ms=2000 > "$dir/query.out" 2>&1; do
      code=$?
      # 4: not there yet, 5: pending, 6: unreachable for a moment; 3 (failed) is final.
      [ $code -eq 3 ] && { cat "$dir/query.out"; fail "tx $id failed on validator $i"; }
      [ $SECONDS -lt $deadline ] || { cat "$dir/query.out"; fail "tx $id not committed on validator $i within ${COMMIT_TIMEOUT_S}s"; }
      sleep 0.3
    done
  done
done
echo "all 3 transfers committed on every validator"

for i in $(seq 0 $((N - 1))); do
  out=$("$BIN" query account "$recipient" --slice=0 --node="$(node_addr "$i")" 2>&1) ||
    fail "query account on validator $i: $out"
  balance=$(echo "$out" | sed -n 's/^balance: //p')
  [ "$balance" = "1000021" ] || fail "validator $i: recipient balance '$balance', want 1000021"
  info=$("$BIN" query node --node="$(node_addr "$i")" 2>&1) || fail "query node $i: $info"
  # A here-string, not `echo | grep -q`: under pipefail, grep -q exiting at
  # its match can SIGPIPE echo's last write and fail the check (seen once).
  grep -q "^committee_size: $N$" <<<"$info" || fail "validator $i: committee size: $info"
  grep -q "^validator_index: $i$" <<<"$info" || fail "validator $i answered as another: $info"
done
echo "PASS: 4 validators in 4 network namespaces agree on the recipient's balance"
