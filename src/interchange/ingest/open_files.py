"""Whether some process still holds a file open for writing: the one sign of a writer that pauses.

A partner's export that stops for a while in the middle of a file leaves no trace in the file's
size or stamps; only the kernel knows the file is still open. On Linux the hub asks it by taking
a read lease, which the kernel grants only when no process has the file open for writing (the
lease is given back at once). A lease needs the hub to own the file or to hold CAP_LEASE; where
that is not so (another account uploads the files, another OS, a network file system), the hub
cannot tell and says so, and the settle time alone decides (docs/ingest.md, "When a drop is complete").
"""

from __future__ import annotations

import errno
import fcntl
import os
import signal
from pathlib import Path

_LEASE = getattr(fcntl, "F_SETLEASE", None)
_SETSIG = getattr(fcntl, "F_SETSIG", None)
# A writer that opens the file while the hub holds the lease makes the kernel signal the hub;
# SIGIO, the default, would end the process. SIGURG is ignored unless a handler is set.
_BREAK_SIGNAL = getattr(signal, "SIGURG", None)


def open_for_writing(path: Path) -> bool | None:
    """True when a process has `path` open for writing, False when none has, None when the hub cannot tell."""
    if _LEASE is None or _SETSIG is None or _BREAK_SIGNAL is None:  # not Linux
        return None
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        fcntl.fcntl(handle, _SETSIG, _BREAK_SIGNAL)
        fcntl.fcntl(handle, _LEASE, fcntl.F_RDLCK)
    except OSError as exc:
        return True if exc.errno == errno.EAGAIN else None
    else:
        fcntl.fcntl(handle, _LEASE, fcntl.F_UNLCK)
        return False
    finally:
        os.close(handle)
