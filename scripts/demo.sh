#!/usr/bin/env bash
# The quickstart demo (what `make run` starts after the build): echo backends
# for examples/quickstart, the controller watching that folder, and one proxy,
# all on loopback. Runs in the foreground; Ctrl-C stops every process it started.
#
#   BIN_DIR=build-asan/bin scripts/demo.sh    # binaries from another build
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin_dir=${BIN_DIR:-$root/build/bin}
manifests=$root/examples/quickstart
echo_backend=$root/e2e/echo_backend.py

web=127.0.0.1:8080
proxy_admin=127.0.0.1:9001
controller_grpc=127.0.0.1:18000
controller_admin=127.0.0.1:9000
# name address: the echo backends examples/quickstart/*.yaml point at
backends=(
  "whoami-a 127.0.0.2:8081"
  "whoami-b 127.0.0.3:8081"
  "api 127.0.0.2:8082"
  "fallback 127.0.0.3:8082"
)

pids=()
names=()

say() { printf 'demo: %s\n' "$*" >&2; }

stop_all() {
  trap - INT TERM EXIT
  local i pid alive
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
  done
  # Give each process 5 s to drain and exit, then SIGKILL what is left.
  for ((i = 0; i < 50; i++)); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}

# start NAME COMMAND...: runs COMMAND in the background and remembers its PID.
# setsid keeps the terminal's Ctrl-C away from the children: each then gets
# exactly one signal, the SIGTERM from stop_all (a second signal would cut a
# proxy's drain short). setsid does not fork here: a background job of a
# script is no process-group leader, so $! is the command's own PID.
start() {
  local name=$1
  shift
  setsid "$@" &
  pids+=("$!")
  names+=("$name")
}

# Fails with a clear message if something already listens on HOST:PORT.
require_free() {
  local name=$1 address=$2
  if accepts_connections "$address" 2>/dev/null; then
    say "$address (for the $name) is taken by another process; stop it and retry"
    exit 1
  fi
}

require_binary() {
  if [[ ! -x $bin_dir/$1 ]]; then
    say "$bin_dir/$1 not found: run 'make build' first (or set BIN_DIR)"
    exit 1
  fi
}

# wait_for WHAT COMMAND...: polls COMMAND for up to 15 s; fails early if a
# process died.
wait_for() {
  local what=$1 deadline=$((SECONDS + 15))
  shift
  until "$@" 2>/dev/null; do
    check_all_running
    if ((SECONDS >= deadline)); then
      say "$what: not after 15 s (see the log lines above)"
      exit 1
    fi
    sleep 0.1
  done
}

accepts_connections() { (exec 3<>"/dev/tcp/${1%:*}/${1##*:}"); }
answers_ok() { curl -fsS -o /dev/null "$1"; }

check_all_running() {
  local i
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[i]}" 2>/dev/null; then
      say "${names[i]} (pid ${pids[i]}) exited; see its log lines above"
      exit 1
    fi
  done
}

print_usage_hints() {
  cat <<EOF

Portico is running. Try:

  curl -H 'Host: whoami.localhost' http://$web/           # whoami-a or whoami-b (round robin)
  curl -H 'Host: whoami.localhost' http://$web/api/users  # the api backend
  curl http://$web/                                       # no rule matches: fallback
  curl -i http://whoami.localhost:${web##*:}/                  # curl resolves *.localhost itself

Admin:
  curl http://$proxy_admin/config       # the routes the proxy applied (JSON)
  curl http://$proxy_admin/metrics      # requests by status code, snapshot version
  curl http://$controller_admin/snapshot   # what the controller compiled

Edit examples/quickstart/*.yaml (add a path, drop an endpoint) and watch the
change apply within a fraction of a second. Ctrl-C stops everything.

EOF
}

main() {
  require_binary portico-controller
  require_binary portico-proxy
  require_free "proxy entrypoint" "$web"
  require_free "proxy admin" "$proxy_admin"
  require_free "controller gRPC" "$controller_grpc"
  require_free "controller admin" "$controller_admin"
  local backend
  for backend in "${backends[@]}"; do require_free "${backend% *} backend" "${backend#* }"; done

  # Ctrl-C and SIGTERM are the way to stop the demo: an orderly stop, exit 0.
  trap stop_all EXIT
  trap 'say "stopping"; exit 0' INT TERM

  for backend in "${backends[@]}"; do
    start "${backend% *} backend" \
      python3 "$echo_backend" --name "${backend% *}" --listen "${backend#* }" >/dev/null
  done
  for backend in "${backends[@]}"; do
    wait_for "${backend% *} backend listening" accepts_connections "${backend#* }"
  done
  start controller "$bin_dir/portico-controller" "--source=file:$manifests" \
    "--grpc-listen=$controller_grpc" --grpc-insecure "--admin-listen=$controller_admin"
  wait_for "controller ready" answers_ok "http://$controller_admin/ready"
  start proxy "$bin_dir/portico-proxy" "--controller=$controller_grpc" --grpc-insecure \
    "--entrypoint=web=$web" "--admin-listen=$proxy_admin" --workers=2
  wait_for "proxy ready" answers_ok "http://$proxy_admin/ready"
  print_usage_hints
  # wait returns when a child exits (check_all_running then reports it and
  # stops) or when a signal arrives (the traps stop everything).
  while true; do
    wait -n "${pids[@]}" || true
    check_all_running
  done
}

main "$@"
