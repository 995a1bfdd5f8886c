"""Child processes of a test run: output to a log file, waited for by what they log, stopped by PID.

Every process started through a ProcessSet is stopped on every way out: the
`with` block, interpreter exit (atexit), SIGTERM/SIGINT/SIGHUP to the runner,
and, should the runner die outright, the kernel (PR_SET_PDEATHSIG).
"""

import atexit
import ctypes
import os
import re
import signal
import subprocess
import sys

from .polling import wait_until

PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def _terminate_when_parent_dies():
    # Runs in the child between fork and exec. The signal fires when the thread
    # that forked exits, so start processes from the main thread only.
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class ProcessExited(AssertionError):
    """A process ended while the test still expected it to run."""


class ManagedProcess:
    """One child process; stdout and stderr go to a single log file."""

    def __init__(self, name, argv, log_path):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.log_path = log_path
        with open(log_path, "wb") as log:
            self.popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_terminate_when_parent_dies,
            )
        self.killed = False

    @property
    def pid(self):
        return self.popen.pid

    def returncode(self):
        """The exit status, or None while it runs."""
        return self.popen.poll()

    def log_text(self):
        with open(self.log_path, "rb") as log:
            return log.read().decode(errors="replace")

    def log_tail(self, lines):
        return "\n".join(self.log_text().splitlines()[-lines:])

    def wait_for_log(self, pattern, timeout_s, what=None):
        """Waits until the log matches the regex `pattern` (multiline) and returns the match.
        `what` describes the line in failure messages (default: the pattern)."""
        regex = re.compile(pattern, re.MULTILINE)
        what = what or f"/{pattern}/"

        def matched():
            match = regex.search(self.log_text())
            if match is None and self.returncode() is not None:
                raise ProcessExited(
                    f"{self.name} exited with status {self.returncode()} before logging {what}"
                )
            return match

        return wait_until(matched, timeout_s, f"{self.name} to log {what}")

    def wait_for_listening(self, label, timeout_s):
        """Waits for a line ending in `<label>HOST:PORT` and returns (host, port)."""
        match = self.wait_for_log(re.escape(label) + r"\[?([^\s\]]+?)\]?:(\d+)\s*$", timeout_s,
                                  what=f"'{label}HOST:PORT'")
        return match.group(1), int(match.group(2))

    def sanitizer_reports(self):
        """Summary lines of sanitizer reports in the log (ASan, UBSan, LSan, TSan)."""
        return re.findall(r"^(?:SUMMARY: \w+Sanitizer: .*|ThreadSanitizer: reported .*)$",
                          self.log_text(), re.MULTILINE)

    def stop(self, timeout_s=5.0):
        """SIGTERM, wait up to timeout_s, then SIGKILL. Returns the exit status."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.killed = True
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode


class ProcessSet:
    """The processes of one test run, stopped in reverse start order on every exit path."""

    def __init__(self, log_dir):
        self.log_dir = log_dir
        self.processes = []

    def __enter__(self):
        atexit.register(self.stop_all)
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, _exit_on_signal)
        return self

    def __exit__(self, *exc_info):
        self.stop_all()
        return False

    def start(self, name, argv):
        log_path = os.path.join(self.log_dir, f"{name}.log")
        process = ManagedProcess(name, argv, log_path)
        self.processes.append(process)
        return process

    def discard(self, process):
        """Stops a process that is no longer part of the run and forgets it."""
        process.stop()
        self.processes.remove(process)

    def stop_all(self, timeout_s=5.0):
        for process in reversed(self.processes):
            process.stop(timeout_s)

    def print_log_tails(self, lines=40, out=sys.stdout):
        for process in self.processes:
            status = process.returncode()
            state = "running" if status is None else f"exited {status}"
            print(f"----- {process.name} (pid {process.pid}, {state}): last {lines} lines "
                  f"of {process.log_path}", file=out)
            print(process.log_tail(lines) or "(empty log)", file=out)
        print("-----", file=out, flush=True)


def _exit_on_signal(signum, frame):
    # Unwinds through the `with` blocks and atexit, which stop the children.
    sys.exit(128 + signum)
