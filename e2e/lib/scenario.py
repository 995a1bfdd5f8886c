"""The command line and lifecycle shared by the check-list e2e scripts:
parse --bin-dir and --time-scale (and --kubectl when asked), make a work folder, start processes under a
ProcessSet, run the checks, print log tails and keep the folder on failure,
exit non-zero on any failed check."""

import argparse
import os
import shutil
import tempfile

from lib.checks import CheckRunner
from lib.manifests import ManifestDir
from lib.processes import ProcessSet
from lib.stack import Launcher


def run_scenario(description, work_prefix, run, kubectl=False):
    """Calls run(launcher, manifests, time_scale, runner), with the kubectl binary as a
    fifth argument when `kubectl`; returns the exit status."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--bin-dir", default="build/bin")
    parser.add_argument("--time-scale", type=float,
                        default=float(os.environ.get("PORTICO_E2E_TIME_SCALE", "1")))
    if kubectl:
        parser.add_argument("--kubectl", default=os.environ.get("KUBECTL", "kubectl"))
    args = parser.parse_args()
    extra = (args.kubectl,) if kubectl else ()
    work_dir = tempfile.mkdtemp(prefix=work_prefix)
    print(f"{description}: logs in {work_dir}", flush=True)
    runner = CheckRunner()
    with ProcessSet(work_dir) as processes:
        launcher = Launcher(processes, os.path.join(args.bin_dir, "portico-controller"),
                            os.path.join(args.bin_dir, "portico-proxy"))
        try:
            run(launcher, ManifestDir(os.path.join(work_dir, "manifests")), args.time_scale,
                runner, *extra)
        except AssertionError as error:
            runner.fail("setup", str(error))
        if runner.failed:
            processes.print_log_tails()
    if runner.failed:
        print(f"kept {work_dir}")
    else:
        shutil.rmtree(work_dir, ignore_errors=True)
    print(runner.summary(), flush=True)
    return 1 if runner.failed else 0
