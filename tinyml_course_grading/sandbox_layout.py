"""What the sandbox shows, as an allow-list, and bubblewrap's command line for it.

The sandbox's root is an empty tmpfs. Into it go, read-only: the system's program and library
folders (/usr and the /bin, /lib... links or folders beside it), a few files of /etc the dynamic
loader needs, a passwd and group naming only the sandbox's users; the interpreter that grades
(its prefixes: a venv and the Python it was made from, wherever they are: a home folder, /tmp,
/opt/tinyml-course/venv; and the other folders on its sys.path, except one that holds the course
package or the course directory, such as a checkout an old-style editable install lists); and
each package the runner imports that lives outside those prefixes
(an editable install's package folders, bound one by one, never the checkout around them). The
course package is bound from `package_source` (the student edition) at the path where the
interpreter finds it. Writable and size-limited (tmpfs, counted in the run's memory cgroup): the
student's folder, holding copies of the submitted files only, and /tmp. Nothing else exists:
no course directory, gradebook, exchange, home folder, checkout, .git or other student.

`interpreter_view()` asks the interpreter (`python -I`, as the runner runs) where it finds what
the runner needs, once per process; `LayoutError` says in one line when it does not find the
course package where the grader found it (a TA whose Python has no install of the course).
"""
import functools
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .limits import MIB

SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "nsswitch.conf", "localtime", "mime.types")
RUNNER_PACKAGES = ("tinyml_course", "tinyml_course_grading", "IPython", "traitlets", "numpy")
INSIDE_CANDIDATES = ("/home/student", "/student", "/sandbox/student")
RUNNER_MODULE = "tinyml_course_grading.student_runner"


class LayoutError(RuntimeError):
    """The interpreter cannot run the grader's runner as installed (one line: why)."""


@dataclass(frozen=True)
class InterpreterView:
    executable: str          # the interpreter the runner runs (sys.executable of the grader)
    prefixes: tuple          # its prefixes, resolved (a venv and the Python it was made from)
    path: tuple              # its sys.path folders, resolved (site folders a .pth adds, too)
    packages: dict           # top-level package -> its folder, as `python -I` finds it


_PROBE = ("import importlib.util as u, json, os, sys\n"
          "pk = {}\n"
          "for n in %r:\n"
          "    s = u.find_spec(n)\n"
          "    pk[n] = os.path.realpath(list(s.submodule_search_locations)[0]) if s else None\n"
          "print(json.dumps({'prefixes': [sys.prefix, sys.base_prefix, sys.exec_prefix,\n"
          "                                sys.base_exec_prefix], 'packages': pk,\n"
          "                  'path': [p for p in sys.path if os.path.isdir(p)]}))\n")


@functools.lru_cache(maxsize=None)
def interpreter_view(executable=None):
    """Where `python -I` (the runner's interpreter) finds the runner's packages; LayoutError
    when it does not find one, or finds the course package elsewhere than the grader did."""
    executable = executable or sys.executable
    try:
        proc = subprocess.run([executable, "-I", "-c", _PROBE % (RUNNER_PACKAGES,)],
                              capture_output=True, text=True, timeout=60,
                              env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
        found = json.loads(proc.stdout)
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        raise LayoutError(f"{executable} -I cannot report its packages: {exc}") from None
    missing = [n for n, p in found["packages"].items() if p is None]
    if missing:
        raise LayoutError(f"{executable} does not find {', '.join(missing)} without help "
                          "(PYTHONPATH is not used in the sandbox): install the course into "
                          "this Python (`python3 course.py lab`, or `pip install .[lab]`)")
    import tinyml_course
    mine = os.path.realpath(Path(tinyml_course.__file__).parent)
    if found["packages"]["tinyml_course"] != mine:
        raise LayoutError(f"the grader imports tinyml_course from {mine}, but {executable} "
                          f"finds it in {found['packages']['tinyml_course']}: grade with the "
                          "Python the course is installed in")
    prefixes = tuple(dict.fromkeys(os.path.realpath(p) for p in found["prefixes"]))
    path = tuple(dict.fromkeys(os.path.realpath(p) for p in found["path"]))
    return InterpreterView(executable, prefixes, path, found["packages"])


def _inside(path, folder):
    path, folder = Path(path), Path(folder)
    return path == folder or folder in path.parents


def _choose_inside(dests):
    for candidate in INSIDE_CANDIDATES:
        if not any(_inside(d, candidate) or _inside(candidate, d) for d in dests):
            return candidate
    raise LayoutError("no free path for the student's folder inside the sandbox")


@dataclass
class Command:
    """bwrap's argv, the file descriptors it must inherit, and the student's folder inside."""
    argv: list
    pass_fds: tuple
    inside: str
    opened: list             # the files behind pass_fds: close them once bwrap has started


def _passwd_fds(uid):
    """Pipes (read ends, as files) holding a passwd and a group naming only the sandbox's
    users."""
    out = []
    for text in (f"root:x:0:0:root:/:/bin/false\nstudent:x:{uid}:{uid}:student:/:/bin/false\n"
                 f"nobody:x:65534:65534:nobody:/:/bin/false\n",
                 f"root:x:0:\nstudent:x:{uid}:\nnogroup:x:65534:\n"):
        r, w = os.pipe()
        os.write(w, text.encode())
        os.close(w)
        out.append(os.fdopen(r, "rb"))
    return out


def bwrap_command(bwrap, files, limits, package_source=None, as_root=False, hide=(),
                  writable=True):
    """The Command that runs argv after it in the sandbox (see the module doc).

    files: [(relative path, host path)] of the student's folder (regular files only, already
    checked); limits: SandboxLimits (tmp_mb, work_mb); package_source: the folder bound where the
    interpreter finds tinyml_course (default: that folder itself); as_root: bwrap runs as root
    without a user namespace (the runner then drops to limits.uid); hide: folders that must not
    be seen even where they lie inside a bound one (the course directory, the grader's home);
    writable False (a measured case, case_measurement.py): nothing writable at all (no /tmp, no
    student folder, the root remounted read-only), no /proc and no /dev (the process's
    descriptors come from the grader), ``files`` ignored."""
    view = interpreter_view()
    # dest -> (op, source); a checkout under /tmp goes on it
    ops = {"/tmp": ("--tmpfs", None)} if writable else {}
    for p in SYSTEM:
        if os.path.islink(p):
            ops[p] = ("--symlink", os.readlink(p))
        elif os.path.isdir(p):
            ops[p] = ("--ro-bind", p)
    for name in ETC:
        if os.path.exists(f"/etc/{name}"):
            ops[f"/etc/{name}"] = ("--ro-bind", f"/etc/{name}")

    def bound(path):
        return any(op == "--ro-bind" and _inside(path, d) for d, (op, _) in ops.items())

    for p in view.prefixes:
        if os.path.isdir(p) and not bound(p):
            ops[p] = ("--ro-bind", p)
    # a folder on sys.path outside the prefixes that holds a course package or a hidden folder
    # (an old-style editable install lists the checkout itself) is not bound: only the package
    own = [view.packages[n] for n in ("tinyml_course", "tinyml_course_grading")]
    for p in view.path:
        if os.path.isdir(p) and not bound(p) and not any(_inside(q, p) for q in own) \
                and not any(_inside(os.path.realpath(h), p) for h in hide):
            ops[p] = ("--ro-bind", p)
    for name, folder in view.packages.items():
        source = package_source if name == "tinyml_course" and package_source else folder
        if source != folder or not bound(folder):
            ops[folder] = ("--ro-bind", str(source))
    dests = list(ops)
    for h in map(os.path.realpath, hide):  # inside a bound folder: covered by an empty one
        if any(_inside(h, d) and h != d for d, (op, _) in ops.items() if op == "--ro-bind"):
            ops.setdefault(h, ("--tmpfs", None))
    for d in dests:  # bwrap would make missing mount points 0700: `nobody` could not pass
        for a in Path(d).parents:
            if str(a) != "/" and not bound(str(a)) and str(a) not in ops:
                ops[str(a)] = ("--dir", None)
    inside = _choose_inside(list(ops))
    argv = [bwrap]
    for dest in sorted(ops, key=lambda d: (len(Path(d).parts), d)):
        op, source = ops[dest]
        if op == "--symlink":
            argv += ["--symlink", source, dest]
        elif op == "--ro-bind":
            argv += ["--ro-bind", source, dest]
        elif dest == "/tmp":
            argv += ["--perms", "1777", "--size", str(int(limits.tmp_mb * MIB)), "--tmpfs", "/tmp"]
        else:
            argv += ["--perms", "0755", op, dest]
    opened = _passwd_fds(limits.uid if as_root else os.geteuid())
    argv += ["--ro-bind-data", str(opened[0].fileno()), "/etc/passwd",
             "--ro-bind-data", str(opened[1].fileno()), "/etc/group"]
    unshare = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
               "--unshare-cgroup-try"] if as_root else ["--unshare-all"]
    tail = ["--chdir", inside, *unshare, "--die-with-parent", "--new-session", "--"]
    if not writable:
        argv += ["--perms", "0755", "--dir", inside, "--remount-ro", "/", *tail]
        return Command(argv, tuple(f.fileno() for f in opened), inside, opened)
    argv += ["--proc", "/proc", "--dev", "/dev",
             "--perms", "0777", "--size", str(int(limits.work_mb * MIB)), "--tmpfs", inside]
    for rel, host in files:
        for parent in reversed(Path(rel).parents[:-1]):
            argv += ["--perms", "0777", "--dir", f"{inside}/{parent}"]
        f = open(host, "rb")
        opened.append(f)
        argv += ["--perms", "0666", "--file", str(f.fileno()), f"{inside}/{rel}"]
    argv += tail
    return Command(argv, tuple(f.fileno() for f in opened), inside, opened)
