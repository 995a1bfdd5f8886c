#!/usr/bin/env bash
# portico-proxy as a peer of ../shared/bench/run.sh, used as its --proxy template:
#
#   portico-under-bench.sh @PORT@ @UPSTREAM_HOST@ @UPSTREAM_PORT@ @RUN@ [BIN_DIR
#                          [@TLS_PORT@ @CERT@ @KEY@]]
#
# BIN_DIR holds portico-controller and portico-proxy (default: build-bench/bin
# of this checkout; bench/run passes it). With a TLS port, certificate and key
# (the harness's ECDSA P-256 pair) the TLS scenarios run too.
#
# 1. Writes @RUN@/portico-manifests/bench.yaml: a Service, its EndpointSlice
#    (the harness's backend) and an Ingress with one rule without a host, path
#    `/` Prefix, so every host and path goes to the backend. With TLS also: a
#    kubernetes.io/tls Secret holding the harness's pair, the TLSStore
#    `default` serving it as the default certificate (wrk connects to an IP
#    address, so it sends no SNI), and an IngressRoute `PathPrefix(`/`)` with
#    `tls: {}` for the TLS side of every host.
# 2. Starts portico-controller on that folder in a session of its own
#    (setsid). run.sh counts the CPU and RSS of the processes in the *proxy's*
#    session (ps -s, see sess_ticks in run.sh), and this script is that
#    session's leader: without setsid the controller would be summed with the
#    proxy. It is idle during a run anyway (no file changes, one gRPC
#    keepalive every 30 s); its CPU time is logged when it stops.
# 3. Starts portico-proxy with one worker, the entrypoint on 127.0.0.1:@PORT@,
#    in this (measured) session.
# 4. Waits, with a deadline, until the proxy's admin /ready is 200 and a
#    request through the proxy is 200; otherwise prints the logs, stops both
#    and exits 1.
# 5. Stays in the foreground; on SIGTERM (run.sh sends it to the process
#    group) stops both children by PID and exits.
#
# Ports: the controller's gRPC and admin ports and the proxy's admin port are
# 0 (the kernel picks free ones); the bound addresses are read from the logs.
# Logs (appended, one "=== start" line per start): @RUN@/logs/portico-controller.log
# and @RUN@/logs/portico-proxy.log; this script's own lines go to stderr, which
# run.sh keeps in @RUN@/logs/<proxy name>.out.
set -euo pipefail

if (($# < 4)); then
  echo "usage: $0 PORT UPSTREAM_HOST UPSTREAM_PORT RUN_DIR [BIN_DIR]" >&2
  exit 2
fi
port="$1" up_host="$2" up_port="$3" run="$4"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin="${5:-$(dirname "$here")/build-bench/bin}"
tls_port="${6:-}" cert="${7:-}" key="${8:-}"
if [[ -n "$tls_port" && (! -r "$cert" || ! -r "$key") ]]; then
  echo "portico-under-bench: TLS port $tls_port needs a readable certificate and key" >&2
  exit 2
fi
ready_timeout_s=${PORTICO_BENCH_READY_TIMEOUT:-20}

for b in portico-controller portico-proxy; do
  [[ -x "$bin/$b" ]] || { echo "portico-under-bench: $bin/$b missing (run bench/run)" >&2; exit 1; }
done

manifests="$run/portico-manifests"
mkdir -p "$manifests" "$run/logs"
# Written whole and renamed: the folder only ever holds the complete file.
cat >"$manifests/.bench.yaml.tmp" <<YAML
apiVersion: v1
kind: Service
metadata:
  name: upstream
  namespace: bench
spec:
  ports:
    - name: http
      port: 80
      targetPort: $up_port
      protocol: TCP
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: upstream-bench
  namespace: bench
  labels:
    kubernetes.io/service-name: upstream
addressType: IPv4
ports:
  - name: http
    port: $up_port
    protocol: TCP
endpoints:
  - addresses:
      - $up_host
    conditions:
      ready: true
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: everything
  namespace: bench
spec:
  rules:
    - http:                 # no host: every host
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: upstream
                port:
                  number: 80
YAML
if [[ -n "$tls_port" ]]; then
  cat >>"$manifests/.bench.yaml.tmp" <<YAML
---
apiVersion: v1
kind: Secret
metadata:
  name: bench-cert
  namespace: bench
type: kubernetes.io/tls
data:
  tls.crt: $(base64 -w0 "$cert")
  tls.key: $(base64 -w0 "$key")
---
apiVersion: portico.dev/v1alpha1
kind: TLSStore
metadata:
  name: default
  namespace: bench
spec:
  defaultCertificate:
    secretName: bench-cert
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata:
  name: everything-tls
  namespace: bench
spec:
  routes:
    - match: PathPrefix(\`/\`)
      kind: Rule
      services:
        - name: upstream
          port: 80
  tls: {}
YAML
fi
mv -f "$manifests/.bench.yaml.tmp" "$manifests/bench.yaml"

ctl_log="$run/logs/portico-controller.log"
echo "=== $(date -u +%Y-%m-%dT%H:%M:%SZ) start (proxy port $port)" >>"$ctl_log"

controller="" proxy="" admin_addr="" t_start=$(date +%s%N)
ms() { echo $((($(date +%s%N) - t_start) / 1000000)); }

ticks() { awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$1/stat" 2>/dev/null || echo "?"; }
alive() { [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; }

# Stops both children by PID: TERM, then KILL after 8 s (run.sh sends KILL
# to the whole group after 10 s).
stop_children() {
  local i
  if alive "$controller"; then
    echo "portico-under-bench: controller (pid $controller) used $(ticks "$controller") CPU ticks" \
      "(1/$(getconf CLK_TCK) s) in $((($(date +%s%N) - t_start) / 1000000000)) s" >&2
  fi
  # run.sh signals the whole process group, so the proxy may have its TERM
  # already (its /ready then answers 503): a second one would make it exit
  # at once instead of draining.
  if alive "$proxy"; then
    if [[ -z "$admin_addr" ||
      "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://$admin_addr/ready" || true)" != 503 ]]; then
      kill -TERM "$proxy" 2>/dev/null || true
    fi
  fi
  alive "$controller" && kill -TERM "$controller" 2>/dev/null || true
  for ((i = 0; i < 80; i++)); do
    alive "$proxy" || alive "$controller" || break
    sleep 0.1
  done
  for pid in "$proxy" "$controller"; do alive "$pid" && kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "$proxy" "$controller"; do [[ -n "$pid" ]] && wait "$pid" 2>/dev/null || true; done
}
fail() {
  echo "portico-under-bench: FAILED: $*" >&2
  echo "--- controller log (tail) ---" >&2
  tail -n 20 "$ctl_log" >&2 || true
  echo "--- proxy log (tail) ---" >&2
  tail -n 20 "$run/logs/portico-proxy.log" >&2 || true
  stop_children
  exit 1
}
trap 'stop_children; exit 0' TERM INT

# Prints HOST:PORT from the first "<WHAT> listening on HOST:PORT" line that
# FILE gained after byte OFFSET, waiting for it while PID lives.
bound_addr() { # FILE OFFSET WHAT PID
  local file="$1" from="$2" what="$3" pid="$4" deadline=$((SECONDS + ready_timeout_s)) addr
  while ((SECONDS < deadline)); do
    addr=$(tail -c +"$((from + 1))" "$file" | grep -ao "$what listening on [0-9.]*:[0-9]*" |
      head -n 1 | awk '{print $NF}') || true
    [[ -n "$addr" ]] && { echo "$addr"; return 0; }
    alive "$pid" || return 1
    sleep 0.02
  done
  return 1
}

# The controller, in a new session. This script leads its own process group
# (run.sh starts it with setsid), so the background child is not a group
# leader and setsid(1) calls setsid() without forking: $! is the controller
# (checked below).
ctl_from=$(wc -c <"$ctl_log")
setsid "$bin/portico-controller" --source="file:$manifests" --grpc-insecure \
  --grpc-listen=127.0.0.1:0 --admin-listen=127.0.0.1:0 --log-level=info \
  >>"$ctl_log" 2>&1 </dev/null &
controller=$!
grpc_addr=$(bound_addr "$ctl_log" "$ctl_from" grpc "$controller") ||
  fail "controller did not log its grpc address within ${ready_timeout_s}s"
t_ctl=$(ms)
[[ "$(ps -o sid= -p "$controller" | tr -d ' ')" == "$controller" ]] ||
  fail "controller pid $controller is not in a session of its own"

# The proxy, in this session: it is what run.sh measures. Client timeouts of
# 300 s like the peers' configs (run.sh's haproxy and caddy: 300 s), so the
# idle-memory test's connections stay open; a connection limit above the
# idle test's count (nginx's is the open-file limit). Everything else default.
proxy_log="$run/logs/portico-proxy.log"
echo "=== $(date -u +%Y-%m-%dT%H:%M:%SZ) start (port $port)" >>"$proxy_log"
proxy_from=$(wc -c <"$proxy_log")
entrypoints=(--entrypoint="web=127.0.0.1:$port")
[[ -n "$tls_port" ]] && entrypoints+=(--entrypoint="websecure=127.0.0.1:$tls_port")
"$bin/portico-proxy" --controller="$grpc_addr" --grpc-insecure \
  "${entrypoints[@]}" --admin-listen=127.0.0.1:0 --workers=1 \
  --idle-timeout=300s --max-connections=100000 --log-level=info \
  >>"$proxy_log" 2>&1 </dev/null &
proxy=$!
admin_addr=$(bound_addr "$proxy_log" "$proxy_from" admin "$proxy") ||
  fail "proxy did not log its admin address (see $proxy_log)"
t_proxy=$(ms)

# Ready = /ready is 200 (a snapshot is applied) and a request through the
# proxy is 200 (the route reaches the backend).
deadline=$((SECONDS + ready_timeout_s))
ready="" through="" t_ready=""
while ((SECONDS < deadline)); do
  alive "$proxy" || fail "proxy exited before it was ready"
  ready=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$admin_addr/ready" || true)
  if [[ "$ready" == 200 ]]; then
    t_ready=${t_ready:-$(ms)}
    through=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/ok" || true)
    if [[ -n "$tls_port" && "$through" == 200 ]]; then
      through=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 2 "https://127.0.0.1:$tls_port/ok" || true)
    fi
    [[ "$through" == 200 ]] && break
  fi
  sleep 0.02
done
if [[ "$ready" != 200 || "$through" != 200 ]]; then
  curl -s -i --max-time 2 "http://127.0.0.1:$port/ok" >&2 || true
  fail "not ready after ${ready_timeout_s}s: /ready=$ready, GET /ok through the proxy=$through"
fi
echo "portico-under-bench: ready in $(ms) ms (controller listening at $t_ctl ms, proxy at $t_proxy," \
  "/ready 200 at $t_ready ms)" \
  "(controller pid $controller grpc $grpc_addr, proxy pid $proxy admin $admin_addr)" >&2

# Foreground until the proxy ends or SIGTERM arrives (wait returns early
# for a trapped signal).
set +e
wait "$proxy"
rc=$?
proxy=""
echo "portico-under-bench: proxy exited with status $rc" >&2
stop_children
exit "$rc"
