"""The sandboxed half of grading: run one student's notebook, then call its functions.

    python -I -m tinyml_course_grading.student_runner --result-fd N

(started by sandboxed_run.py, inside bubblewrap). The only process that runs student code. It
follows the grader's conversation (conversation.py), one step at a time: it gets the cells
(and the modules to import before them), snapshots the package's and numpy's namespaces, runs
every cell in an IPython shell (magics work; stdout, stderr, displays and errors recorded as
nbformat outputs, bounded) and sends their outputs. Only then does the grader send the hidden
checks' helpers (run after restoring the namespaces as they were before the student's code) and
one call at a time; what the helpers and calls print goes nowhere, and the runner keeps no step
after it is done, so no cell could have found a helper, a call or a tripwire list. Values are
plain data (plain_data.plain); the expected values never enter this process. A measurement the
student's code must not reach is asked of the grader (`ask`).

While a call runs, every function named in its ``block`` list has its code swapped for a
tripwire that records the use and raises: a student's function that calls (or is an alias or a
partial of) the package's reference for that exercise is reported in its CallResult however it
was imported (inside the sandbox the references' bodies are withheld anyway: package_edition.py).
Stand-alone on purpose: standard library, IPython, conversation, messages and plain_data.
"""
import argparse
import importlib
import os
import signal
import sys
import types

from . import conversation, messages, plain_data

TRUNCATED = "\n... output truncated by the grader ...\n"
IGNORED_TIMEOUT = 124  # exit status when a cell or call swallowed its time limit
USED = "_tinyml_grading_used"  # sys attribute: the blocked references a call reached
FIRED = [0]


class CellTimeoutError(Exception):
    """A cell or call ran past its time limit."""


def _alarm(signum, frame):
    """First alarm of a cell or call: an error there. The timer repeats: a second alarm means
    the code caught the first and went on, and the runner ends (exit 124), no thread needed
    (a fork bomb may have used up the processes a thread would need)."""
    FIRED[0] += 1
    if FIRED[0] > 1:
        os._exit(IGNORED_TIMEOUT)
    raise CellTimeoutError("ran past the grader's time limit")


def _arm(seconds):
    FIRED[0] = 0
    signal.setitimer(signal.ITIMER_REAL, seconds, seconds)


class Outputs:
    """nbformat outputs of the cell being run, streams merged, everything bounded in size."""

    def __init__(self, limit):
        self.limit, self.items, self.chars = limit, [], 0

    def text(self, name, text):
        if self.chars >= self.limit:
            return
        if self.chars + len(text) > self.limit:
            text = text[:self.limit - self.chars] + TRUNCATED
        self.chars += len(text)
        if self.items and self.items[-1].get("name") == name:
            self.items[-1]["text"] += text
        else:
            self.items.append({"output_type": "stream", "name": name, "text": text})

    def add(self, output):
        size = len(plain_data.dumps(output))
        if self.chars + size <= max(self.limit, 0) * 20:  # images: 20x the text allowance
            self.chars += size
            self.items.append(output)


class Stream:
    """sys.stdout / sys.stderr that record into the current Outputs."""

    def __init__(self, runner, name):
        self.runner, self.name = runner, name
        self.encoding, self.errors = "utf-8", "replace"

    def write(self, text):
        if not isinstance(text, str):
            text = str(text)
        if self.runner.out is not None:
            self.runner.out.text(self.name, text)
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        pass

    def isatty(self):
        return False

    def fileno(self):
        raise OSError("no file descriptor in the grading sandbox")


def make_shell(runner):
    """An IPython shell (no kernel) whose displays and errors land in runner.out."""
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    class Hook(DisplayHook):
        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            runner.out.add({"output_type": "execute_result", "data": plain_data.plain(format_dict),
                            "metadata": {}, "execution_count": self.prompt_count})

        def finish_displayhook(self):
            pass

    class Pub(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False,
                    **kwargs):
            runner.out.add({"output_type": "display_data", "data": plain_data.plain(data),
                            "metadata": {}})

        def clear_output(self, wait=False):
            pass

    class Shell(InteractiveShell):
        displayhook_class = Hook
        display_pub_class = Pub

        def _showtraceback(self, etype, evalue, stb):
            runner.out.add({"output_type": "error", "ename": getattr(etype, "__name__", "Error"),
                            "evalue": str(evalue)[:2000], "traceback": list(stb)[-20:]})

        def system(self, cmd):
            print("(shell commands do not run in the grader)", file=sys.stderr)

    cfg = Config()
    cfg.HistoryManager.enabled = False
    cfg.InteractiveShell.colors = "nocolor"
    cfg.InteractiveShell.xmode = "Plain"
    return Shell.instance(config=cfg)


def resolve(dotted):
    """'pkg.module:qual.name' -> the object (ImportError / AttributeError when absent)."""
    module, _, qual = dotted.partition(":")
    obj = importlib.import_module(module)
    for part in qual.split("."):
        obj = getattr(obj, part)
    return obj


def tripwire_code(name):
    src = ("def tripwire(*args, **kwargs):\n"
           f"    __import__('sys').__dict__.setdefault({USED!r}, set()).add({name!r})\n"
           f"    raise RuntimeError('the grader blocks {name} while it grades this exercise')\n")
    space = {}
    exec(compile(src, "<grader tripwire>", "exec"), space)
    return space["tripwire"].__code__


def _copies(dotted):
    """The function ``dotted`` ('module:qual') of every other module in sys.modules loaded from
    the same file: a second, private import of the package (importlib.util.spec_from_file_location
    under another name) has function objects of its own, which the tripwires block too."""
    module, _, qual = dotted.partition(":")
    home = getattr(sys.modules.get(module), "__file__", None)
    out = []
    for name, mod in list(sys.modules.items()):
        if name == module or home is None or getattr(mod, "__file__", None) != home:
            continue
        obj = mod
        for part in qual.split("."):
            obj = getattr(obj, part, None)
        if obj is not None:
            out.append(obj)
    return out


class Blocked:
    """Swap the code of the reference functions for tripwires, for the length of one call.
    The names were resolved by the grader when it loaded the checks (check_declarations), so
    one that does not resolve here is a broken installation: an error, never skipped."""

    def __init__(self, names):
        self.swapped = []
        for name in names:
            for fn in [resolve(name), *_copies(name)]:
                fn = getattr(fn, "__func__", fn)
                if isinstance(fn, types.FunctionType) and not fn.__code__.co_freevars:
                    self.swapped.append((name, fn, fn.__code__))

    def codes(self):
        return {id(code): (name, fn) for name, fn, code in self.swapped}

    def __enter__(self):
        for name, fn, _ in self.swapped:
            fn.__code__ = tripwire_code(name)
        return self

    def __exit__(self, *exc):
        for _, fn, code in self.swapped:
            fn.__code__ = code
        return False


PROTECT = ("tinyml_course", "numpy")  # module namespaces restored before the calls
PROTECT_CLASSES = ("tinyml_course",)  # ... and the classes defined there (Arena, Buffer, ...)


def _protected(name, prefixes):
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def snapshot():
    """The package's (and numpy's) module namespaces and classes, as imported, before any
    student code: a student who monkeypatches them (Arena.peak_bytes, np.allclose, ...) is
    undone by restore() before the calls (what is measured for a grade is measured outside
    this process; this keeps the calls' inputs honest)."""
    saved = []
    for name, mod in list(sys.modules.items()):
        if mod is None or not _protected(name, PROTECT):
            continue
        classes = []
        if _protected(name, PROTECT_CLASSES):
            classes = [(c, dict(vars(c))) for c in list(vars(mod).values())
                       if isinstance(c, type) and getattr(c, "__module__", "") == name]
        saved.append((name, mod, dict(vars(mod)), classes))
    return saved


def restore(saved):
    for name, mod, space, classes in saved:
        sys.modules[name] = mod
        current = vars(mod)  # names added since are kept: modules fill themselves lazily
        for key, value in space.items():
            if current.get(key, None) is not value:
                current[key] = value
        for cls, attrs in classes:
            for key in [k for k in list(vars(cls)) if k not in attrs]:
                try:
                    delattr(cls, key)
                except (AttributeError, TypeError):
                    pass
            for key, value in attrs.items():
                if vars(cls).get(key, None) is not value:
                    try:
                        setattr(cls, key, value)
                    except (AttributeError, TypeError):
                        pass


class Runner:
    """One student's run: the cells, then (after their outputs went out) the helpers and calls.
    It holds the present step only: no future request, no helper source once it ran."""

    def __init__(self, start):
        self.start = start
        self.out = None
        self.helpers = {}

    def run_helpers(self, source):
        """The grader's helpers, after the cells, the package restored: "" or why they failed."""
        self.helpers = {}
        self.out = Outputs(0)
        try:
            exec(compile(source, "<grader helpers>", "exec"), self.helpers)
        except BaseException as exc:
            return f"{type(exc).__name__}: {exc}"[:500]
        return ""

    def run_cells(self, shell):
        answers = []
        for count, cell in enumerate(self.start.cells, start=1):
            self.out = Outputs(self.start.output_chars)
            if self.start.cell_seconds:
                _arm(self.start.cell_seconds)
            try:
                shell.execution_count = count
                shell.run_cell(cell.source, store_history=False, silent=False)
            except BaseException as exc:  # SystemExit, a timeout between IPython's handlers
                self.out.add({"output_type": "error", "ename": type(exc).__name__,
                              "evalue": str(exc)[:2000], "traceback": []})
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            answers.append(messages.CellResult(cell.index, tuple(self.out.items), count))
        self.out = Outputs(0)  # from here on, whatever is printed goes nowhere
        return tuple(answers)

    def namespace(self, shell):
        """The calls' namespace: the student's, then the helpers' names over it."""
        ns = dict(shell.user_ns)
        ns.update({k: v for k, v in self.helpers.items() if k != "__builtins__"})
        return ns

    def call(self, call, ns):
        self.out = Outputs(0)  # prints of the calls go nowhere
        try:
            blocked = Blocked(call.block)
        except (ImportError, AttributeError) as exc:
            return messages.CallResult(False, error=f"the grader could not set up: {exc}"[:500],
                                       error_type="GraderSetupError")
        ref_codes = blocked.codes()
        # a new function of the student's built on the reference's code object (a copied
        # __code__: the tripwire would not see it); the reference itself in the namespace is
        # not a use until it is called
        used = {ref_codes[id(v.__code__)][0] for v in ns.values()
                if isinstance(v, types.FunctionType) and id(v.__code__) in ref_codes
                and v is not ref_codes[id(v.__code__)][1]}
        sys.__dict__[USED] = set()
        with blocked:
            if call.seconds:
                _arm(call.seconds)
            try:
                value = eval(compile(call.expr, "<grader call>", "eval"), ns)
                result = {"ok": True, "value": plain_data.plain(value)}
            except BaseException as exc:
                result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500],
                          "error_type": type(exc).__name__}
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        reached = sys.__dict__.get(USED)
        used |= {str(n) for n in reached} if isinstance(reached, set) else set()
        return messages.CallResult(**result, used=tuple(sorted(used))[:20])


def _preload(names):
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # the helpers will say so, as the grader's failure
            pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--result-fd", type=int, required=True)
    p.add_argument("--drop-to", type=int, default=None, help="uid (and gid) to become first")
    args = p.parse_args()
    if args.drop_to is not None:  # a root grader: Linux applies RLIMIT_NPROC to non-root only
        os.setgroups([])
        os.setgid(args.drop_to)
        os.setuid(args.drop_to)
    channel = conversation.open_channel(os.dup(0), args.result_fd)
    step, start = channel.next()
    if step != "cells":
        os._exit(2)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # output at the file-descriptor level (C code, subprocesses) is dropped
        os.dup2(devnull, fd)
    runner = Runner(start)
    del start
    sys.stdout, sys.stderr = Stream(runner, "stdout"), Stream(runner, "stderr")
    signal.signal(signal.SIGALRM, _alarm)
    os.chdir(runner.start.cwd)
    os.environ.update(entry.split("=", 1) for entry in runner.start.environ if "=" in entry)
    _preload(runner.start.preload)
    saved = snapshot()
    shell = make_shell(runner)
    channel.send("cells", conversation.CellsDone(runner.run_cells(shell)))
    ns = None
    while True:
        step, body = channel.next()
        if step == "helpers":
            restore(saved)
            channel.send("helpers", conversation.HelpersDone(runner.run_helpers(body.source)))
            ns = runner.namespace(shell)
        elif step == "call" and ns is not None:
            channel.send("call", conversation.CallDone(body.id, runner.call(body, ns)))
        elif step == "done":
            break
        else:
            os._exit(2)
        del body
    os._exit(0)  # no atexit handler, thread or __del__ of the student's runs after this


if __name__ == "__main__":
    main()
