#!/usr/bin/env bash
# make demo: a whole updating run on a simulated 3-node cluster, through the real protocol.
# Starts kcau-sim and kcau-controller on loopback, applies examples/updaterun-basic.yaml with
# kubectl (or kcau's own client when kubectl is absent), shows progress, prints the run
# report and the metrics, and stops both processes whatever happens.
set -euo pipefail

BUILD_DIR=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/$BUILD_DIR"
RUN_NAME=patch-tuesday
EXAMPLE="$ROOT/examples/updaterun-basic.yaml"
WORK=$(mktemp -d /tmp/kcau-demo.XXXXXX)
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_http() {  # url, what
  for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "demo: $2 did not come up (logs in $WORK)" >&2
  tail -20 "$WORK"/*.log >&2 || true
  exit 1
}

SIM_PORT=$(free_port)
METRICS_PORT=$(free_port)
export KUBECONFIG="$WORK/kubeconfig"

# The controller signs every request to the node agents; the agents hold only the public key
# and act on nothing else (docs/security.md).
echo "==> making the request-signing key pair (Ed25519) in $WORK"
openssl genpkey -algorithm ed25519 -out "$WORK/request-signing.pem"
openssl pkey -in "$WORK/request-signing.pem" -pubout -out "$WORK/request-signing.pub.pem"

echo "==> starting kcau-sim: 3 simulated nodes on https://127.0.0.1:$SIM_PORT"
"$BIN/sim/kcau-sim" --nodes 3 --listen "127.0.0.1:$SIM_PORT" --write-kubeconfig "$KUBECONFIG" \
  --agent-verify-key "$WORK/request-signing.pub.pem" \
  --update-delay-ms 1500 --reboot-delay-ms 2500 >"$WORK/sim.log" 2>&1 &
PIDS+=($!)
# kcau-sim writes the kubeconfig (HTTPS server, its CA, a token) once it is listening.
for _ in $(seq 1 100); do [ -s "$KUBECONFIG" ] && break; sleep 0.1; done
[ -s "$KUBECONFIG" ] || { echo "demo: kcau-sim did not start:" >&2; cat "$WORK/sim.log" >&2; exit 1; }

echo "==> starting kcau-controller (metrics on http://127.0.0.1:$METRICS_PORT/metrics)"
# --namespace default: kcau-sim keeps the agents' DaemonSet there (a real install: kcau-system).
"$BIN/controller/kcau-controller" --kubeconfig "$KUBECONFIG" --namespace default \
  --request-signing-key "$WORK/request-signing.pem" \
  --metrics-addr "127.0.0.1:$METRICS_PORT" >"$WORK/controller.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$METRICS_PORT/readyz" kcau-controller

CAU="$BIN/cli/kubectl-cau"
if command -v kubectl >/dev/null 2>&1; then
  KUBECTL=(kubectl --cache-dir "$WORK/kube-cache")
  echo "==> kubectl get nodes"
  "${KUBECTL[@]}" get nodes
  echo "==> kubectl apply -f examples/updaterun-basic.yaml"
  "${KUBECTL[@]}" apply -f "$EXAMPLE"
else
  KUBECTL=()
  echo "==> kubectl not found: applying with kcau's own client"
  "$CAU" apply -f "$EXAMPLE"
fi

echo "==> progress (one line per change)"
last=""
deadline=$((SECONDS + 120))
while [ $SECONDS -lt $deadline ]; do
  line=$("$CAU" progress "$RUN_NAME" 2>/dev/null || true)
  if [ -n "$line" ] && [ "$line" != "$last" ]; then
    printf '%s  %s\n' "$(date +%H:%M:%S)" "$line"
    last=$line
  fi
  case "$line" in *"phase=Succeeded"* | *"phase=Failed"*) break ;; esac
  sleep 0.5
done

if [ ${#KUBECTL[@]} -gt 0 ]; then
  echo "==> kubectl wait --for=condition=Succeeded updaterun/$RUN_NAME"
  "${KUBECTL[@]}" wait --for=condition=Succeeded "updaterun/$RUN_NAME" --timeout=30s || true
  echo "==> kubectl get updaterun"
  "${KUBECTL[@]}" get updaterun
fi

echo "==> run report"
"$CAU" report "$RUN_NAME"

echo "==> metrics (kcau_ and reconcile counts, zeros and histogram buckets left out) from http://127.0.0.1:$METRICS_PORT/metrics"
curl -fsS "http://127.0.0.1:$METRICS_PORT/metrics" |
  grep -E '^(kcau_updateruns|kcau_updaterun_nodes|kcau_node_|controller_runtime_reconcile_total)' |
  grep -vE '_bucket\{| 0$' || true
echo
echo "The metrics address was http://127.0.0.1:$METRICS_PORT/metrics (served until the demo exits)."
