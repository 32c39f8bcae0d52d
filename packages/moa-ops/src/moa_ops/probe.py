"""Deprecated alias of :mod:`moa_ops.healthcheck`, kept for existing Dockerfiles.

    python -m moa_ops.probe URL   # still works; use python -m moa_ops.healthcheck URL

Run as a command it behaves exactly as before (same exit status, same output),
with a ``DeprecationWarning`` that Python shows under ``-W default`` or
``PYTHONDEVMODE=1``; imported, it warns the importing code.
"""

from __future__ import annotations

import sys
import warnings

from moa_ops.healthcheck import main, probe

__all__ = ["main", "probe"]

warnings.warn(
    "moa_ops.probe is deprecated; use moa_ops.healthcheck (python -m moa_ops.healthcheck URL).",
    DeprecationWarning,
    # Points at the importer, or at runpy under ``python -m``: a health check's
    # output (read by Docker and by scripts) stays what it was.
    stacklevel=2,
)

if __name__ == "__main__":
    sys.exit(main())
