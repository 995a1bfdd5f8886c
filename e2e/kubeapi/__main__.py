"""Entry point: `python3 e2e/kubeapi ...` or, from e2e/, `python3 -m kubeapi ...`."""

import os
import sys

if not __package__:  # run as a folder: import the package by its name, not its modules
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    sys.path.insert(0, os.path.dirname(here))

from kubeapi.server import main  # noqa: E402

sys.exit(main())
