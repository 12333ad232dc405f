"""Processes a grading run leaves behind: make the tool a child subreaper and kill what it finds.

A runner's sandbox has its own PID namespace, so nothing it spawns outlives it; these functions
are the second line, for the fallback without bubblewrap and for a worker the tool must stop.
"""
import ctypes
import os
import shutil
import signal
import sys


def become_subreaper():
    """Make orphans of our descendants our children (Linux >= 3.4); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def _children(pid):
    """Direct children of `pid` (Linux /proc; psutil elsewhere when present)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        pass
    try:
        import psutil
    except ImportError:
        return []
    try:
        return [p.pid for p in psutil.Process(pid).children()]
    except psutil.Error:  # the process is gone, or not ours to see
        return []


def descendants(pid):
    """Every process below `pid` (children, their children, ...), pids in discovery order."""
    out, todo = [], [pid]
    while todo:
        for child in _children(todo.pop()):
            if child not in out:
                out.append(child)
                todo.append(child)
    return out


def kill_tree(pid, include_self=True):
    """SIGKILL `pid`'s descendants (stopped first so they cannot fork away) and `pid`."""
    for _ in range(3):  # a forking process may add children while we kill
        victims = descendants(pid)
        if not victims:
            break
        for p in victims:
            try:
                os.kill(p, signal.SIGSTOP)
            except OSError:
                pass
        for p in victims:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
    if include_self:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def sweep_orphans(keep):
    """Kill and reap our children that are not graders in `keep` (orphans re-parented to us)."""
    killed = 0
    for pid in _children(os.getpid()):
        if pid in keep:
            continue
        kill_tree(pid)
        killed += 1
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
    # reap orphans that had already exited (zombies) and were not seen above
    for pid in _children(os.getpid()):
        if pid not in keep:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
    return killed


def rmtree_hard(path):
    def onerror(func, p, _exc):
        try:
            os.chmod(os.path.dirname(p), 0o700)
            os.chmod(p, 0o700)
            func(p)
        except OSError:
            pass
    shutil.rmtree(path, onerror=onerror)
