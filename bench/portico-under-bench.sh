#!/usr/bin/env bash
# portico-proxy as a peer of ../shared/bench/run.sh (its --proxy template):
#   portico-under-bench.sh BIN_DIR PORT UPSTREAM_HOST UPSTREAM_PORT RUN_DIR
# Writes a manifest folder that sends every host and path to the upstream,
# starts portico-controller in a session of its own (run.sh sums the CPU of
# the proxy's session only, and the controller is idle during a run anyway),
# then runs portico-proxy with one worker in the foreground, as run.sh wants.
# SIGTERM stops both, by PID.
set -euo pipefail
bin="$1" port="$2" up_host="$3" up_port="$4" run="$5"
manifests="$run/portico-manifests"
mkdir -p "$manifests"
cat >"$manifests/bench.yaml" <<YAML
apiVersion: v1
kind: Service
metadata: {name: upstream, namespace: bench}
spec:
  ports: [{name: http, port: 80, targetPort: $up_port, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: upstream-1
  namespace: bench
  labels: {kubernetes.io/service-name: upstream}
addressType: IPv4
ports: [{name: http, port: $up_port, protocol: TCP}]
endpoints:
  - addresses: [$up_host]
    conditions: {ready: true}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: everything, namespace: bench}
spec:
  defaultBackend:
    service: {name: upstream, port: {number: 80}}
YAML

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
grpc_port=$(free_port)
ctl_admin=$(free_port)
proxy_admin=$(free_port)

setsid "$bin/portico-controller" --source="file:$manifests" --grpc-insecure \
  --grpc-listen="127.0.0.1:$grpc_port" --admin-listen="127.0.0.1:$ctl_admin" --log-level=warn \
  >"$run/portico-controller.log" 2>&1 </dev/null &
controller=$!
echo "$controller" >"$run/portico-controller.pid"
proxy=""
stop() {
  [[ -n "$proxy" ]] && kill -TERM "$proxy" 2>/dev/null
  kill -TERM "$controller" 2>/dev/null
  [[ -n "$proxy" ]] && wait "$proxy" 2>/dev/null
  wait "$controller" 2>/dev/null
  exit 0
}
trap stop TERM INT

"$bin/portico-proxy" --controller="127.0.0.1:$grpc_port" --grpc-insecure \
  --entrypoint="web=127.0.0.1:$port" --admin-listen="127.0.0.1:$proxy_admin" --workers=1 \
  --log-level=warn --idle-timeout=300s --max-connections=100000 &
proxy=$!
# run.sh waits for the port to accept; the route must be served too.
for _ in $(seq 1 200); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/ok" || true)
  [[ "$code" == 200 ]] && break
  sleep 0.05
done
wait "$proxy"
