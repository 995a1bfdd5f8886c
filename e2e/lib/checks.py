"""Running a sequence of named checks and reporting `N passed, N failed`."""

import time
import traceback


class CheckRunner:
    """Runs checks in order. A check is a function that raises AssertionError
    (with a message saying what went wrong) or returns a short note, e.g. timings."""

    def __init__(self):
        self.passed = []
        self.failed = []
        self.current = "setup"

    def run(self, title, check, *args):
        self.current = title
        started = time.monotonic()
        try:
            note = check(*args)
        except AssertionError as error:
            self.fail(title, str(error), started)
        except Exception:  # a bug in the test or an unexpected answer: show where
            self.fail(title, traceback.format_exc().rstrip(), started)
        else:
            self.passed.append(title)
            print(f"PASS {title}{f' ({note})' if note else ''} [{_since(started)}]", flush=True)

    def fail(self, title, message, started=None):
        """Records a failure that happened outside run(), e.g. while starting processes."""
        self.failed.append(title)
        took = f" [{_since(started)}]" if started is not None else ""
        print(f"FAIL {title}{took}\n     {message}", flush=True)

    def summary(self):
        return f"{len(self.passed)} passed, {len(self.failed)} failed"


def _since(started):
    return f"{time.monotonic() - started:.2f} s"
