"""A home folder's lock: one process at a time runs a validator node or an operator on it.

``HomeLock(home).acquire()`` opens (creating it if needed) the file
``HOME/LOCK_FILE`` and takes an exclusive ``flock`` on it without waiting.
The kernel holds the lock for the open file, so it goes away when the
holder calls ``release`` (or ``close`` on the node or operator home that
took it) and also when the holder dies in any way, ``kill -9`` included:
there is never a stale lock to clean up by hand.  The file itself stays;
only the lock on it matters.  Its content is the holder's process id,
written after the lock is taken, so that a refusal can name it.

A second ``acquire`` on the same home — from another process, or from the
same process through another ``HomeLock`` — fails at once with
``HomeInUse`` (a ``Conflict``, exit status 1), one line naming the folder
and the process that holds it.  A home that is not a directory is a
``BadInput``, and so is one without its ``marker`` file (the file every
complete home holds): nothing, not even the lock file, is written there.

``locked_by(home)`` answers which live process holds the lock now (from
``/proc/locks`` on Linux, which takes no lock itself), or None: unlike the
pid in the file, it is never the pid of a holder that has died.

``flock`` locks are advisory and local: they protect a home on a local
disk from a second darkmatch process, not from other programs or NFS.
"""

import errno
import fcntl
import os

from verifier.errors import BadInput, Conflict

__all__ = ["HomeLock", "HomeInUse", "LOCK_FILE", "holder_pid", "locked_by"]

LOCK_FILE = "LOCK"
_PID_BYTES = 32


class HomeInUse(Conflict):
    """Another process (or another open of this one) holds the home's lock."""


def holder_pid(home) -> int | None:
    """The pid written in ``home``'s lock file (None if absent or unreadable)."""
    try:
        with open(os.path.join(os.fspath(home), LOCK_FILE), "rb") as f:
            text = f.read(_PID_BYTES).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _proc_locks_holder(st):
    """The pid holding an flock on the file of stat ``st`` per /proc/locks; None if none;
    raises OSError when /proc/locks cannot be read."""
    dev = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    with open("/proc/locks") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and parts[1] == "FLOCK" and parts[5] == dev:
                pid = int(parts[4]) if parts[4].isdigit() else 0
                return pid if pid > 0 else -1
    return None


def locked_by(home) -> int | None:
    """The pid of the live process holding ``home``'s lock now, or None.

    Read from /proc/locks (Linux), which takes no lock; elsewhere a shared
    ``flock`` probe says whether it is held and the lock file names the pid.
    Unlike ``holder_pid`` this is never fooled by a dead holder's pid.
    """
    path = os.path.join(os.fspath(home), LOCK_FILE)
    try:
        st = os.stat(path)
    except OSError:
        return None
    try:
        return _proc_locks_holder(st)
    except (OSError, ValueError):
        pass
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return holder_pid(home) or -1
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


class HomeLock:
    """The exclusive lock on one home folder (module doc); a context manager."""

    def __init__(self, home, what: str = "home", marker: str = None):
        self.home, self.what, self.marker = os.fspath(home), what, marker
        self.path = os.path.join(self.home, LOCK_FILE)
        self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> "HomeLock":
        """Take the lock now or raise ``HomeInUse`` naming the holder; returns self."""
        if self._fd is not None:
            return self
        if not os.path.isdir(self.home):
            raise BadInput(f"{self.what} not found or not a directory: {self.home}")
        if self.marker and not os.path.isfile(os.path.join(self.home, self.marker)):
            article = "an" if self.what[:1] in "aeiou" else "a"
            raise BadInput(f"{self.home} is not {article} {self.what} (no {self.marker})")
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as e:
            raise BadInput(f"cannot open the lock file {self.path}: "
                           f"{e.strerror or e}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            os.close(fd)
            if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise BadInput(f"cannot lock {self.path}: {e.strerror or e}") from None
            pid = locked_by(self.home)                  # the kernel's word, if it says
            if pid is None or pid < 0:
                pid = holder_pid(self.home)
            who = f"process {pid}" if pid is not None else "another process"
            raise HomeInUse(f"{self.what} {self.home} is in use by {who} "
                            f"(lock {self.path}); stop it first") from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError:
            pass                    # the pid is only for messages; the lock is what counts
        self._fd = fd
        return self

    def release(self) -> None:
        """Drop the lock (idempotent); the file stays."""
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()
        return False
