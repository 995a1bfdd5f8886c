"""Restarting the stand-in API server in place (same port, certificate, token and state
file), with its watch history kept or compacted, for tests of the Kubernetes source."""

import json
import os

from kubeapi.client import start_kubeapi


def compact_state_file(path):
    """Forgets the watch history kept in a stopped server's state file, as an etcd
    compaction does: a watch from any older resourceVersion is then answered 410."""
    with open(path) as state_in:
        state = json.load(state_in)
    state["history"] = []
    state["floor"] = state["resourceVersion"]
    temporary = f"{path}.tmp"
    with open(temporary, "w") as out:
        json.dump(state, out)
    os.replace(temporary, path)


def restart_kubeapi(processes, work_dir, api, name="kubeapi", compact_history=False,
                    timeout_s=10.0):
    """Stops `api` (SIGTERM: it writes its state file and exits), optionally compacts its
    history, and starts it again on the same port; returns the new KubeApiServer. The old
    log is kept as NAME.log.N; the new NAME.log holds only requests made since."""
    if not api.state_file:
        raise AssertionError("restart_kubeapi needs a server started with a state file")
    log_path = api.process.log_path
    processes.discard(api.process)
    if api.process.returncode() != 0:
        raise AssertionError(f"{name} exited {api.process.returncode()} on SIGTERM")
    generation = 1
    while os.path.exists(f"{log_path}.{generation}"):
        generation += 1
    os.replace(log_path, f"{log_path}.{generation}")
    if compact_history:
        compact_state_file(api.state_file)
    return start_kubeapi(processes, work_dir, name=name, port=api.port,
                         state_file=api.state_file, tls=api.ca_file is not None,
                         token=api.token, timeout_s=timeout_s)
