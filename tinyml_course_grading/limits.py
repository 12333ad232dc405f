"""Every limit of a grading run, written once: what a student's sandboxed code may use, what the
grader accepts back from it, and what a submission may hold.

The grading command's options, SandboxedExecute's traits and the sandbox read their defaults
here; nothing else writes a number of seconds, bytes or processes for a grading run. One
exception, by the layering rule (the course package never imports this one, and this module
imports nothing the sandboxed runner does not have): the bounds of a compression model sent as
plain data (ops, kernel 1..7, padding <= k // 2, channels, MACs) are
`tinyml_course.homework.plain_model.ModelLimits`, which the grader's `model_from_plain` applies,
and those of compiling and emulating a student's C are `tinyml_course.deploy.kernel_check`'s.
"""
from dataclasses import dataclass, fields

MIB = 2**20

NOBODY = 65534  # the unprivileged user a root grader runs student code as (plain nbgrader)
SANDBOX_UID_BASE = 64000  # worker i of the grading command runs student code as this + i (root)

STUDENT_SECONDS = 600.0  # wall clock of one student in the grading command (runner + nbgrader)
TOOL_MARGIN_SECONDS = 5.0  # the runner must have given up before the command gives up on it


@dataclass(frozen=True)
class SandboxLimits:
    """What one sandboxed run of a student's code may use (each 0 or None: no limit).

    run_seconds: the whole notebook and its checks; cell_seconds: one cell or one call;
    memory_mb: the runner's address space (RLIMIT_AS) and, where the grader may create one, a
    memory cgroup for everything the sandbox spawns together; fsize_mb: the largest file it may
    write; nproc: processes and threads of the sandbox's user; tmp_mb / work_mb: the size of the
    sandbox's /tmp and of the student's folder (both in memory, counted in the cgroup);
    output_chars: text kept per cell; answer_mb: the runner's whole answer; uid: the user a root
    grader runs student code as.
    """

    run_seconds: float = STUDENT_SECONDS - TOOL_MARGIN_SECONDS
    cell_seconds: float = 30.0
    memory_mb: int = 4096
    cgroup_mb: int = 0          # the cgroup's limit when it differs from memory_mb (0: same)
    fsize_mb: int = 256
    nproc: int = 256
    tmp_mb: int = 512
    work_mb: int = 512
    output_chars: int = 20000
    answer_mb: int = 16
    uid: int = NOBODY

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"SandboxLimits.{f.name} must be a number >= 0, got {value!r}")

    @property
    def answer_bytes(self):
        return int(self.answer_mb * MIB)


@dataclass(frozen=True)
class PlainLimits:
    """What the grader accepts back across the sandbox's wall before allocating anything:
    nesting depth, elements of one array, items (list entries, dict keys, array elements) of one
    answer, characters of one string."""

    depth: int = 40
    array_elements: int = 8 * 2**20
    items: int = 16 * 2**20
    string_chars: int = 4 * MIB


@dataclass(frozen=True)
class SubmissionLimits:
    """What a submission folder may hold before nbgrader or the sandbox sees it: files, bytes in
    all, bytes of one notebook, code cells and characters of code of one notebook."""

    files: int = 200
    total_bytes: int = 64 * MIB
    notebook_bytes: int = 16 * MIB
    cells: int = 2000
    source_chars: int = 2 * MIB


@dataclass(frozen=True)
class GraderLimits:
    """What the grader spends outside the sandbox on one check's verdict (a challenge's model
    rebuilt and measured, a comparison): CPU seconds of the grader's process (user + system, so
    a loaded machine does not shorten it). A student's C is compiled and emulated in child
    processes, under `tinyml_course.deploy.kernel_check`'s limits (COMPILE_SECONDS,
    COMPILE_MB, COMPILE_OUTPUT_MB, CHECK_TIMEOUT_S, CHECK_BUDGET)."""

    verdict_seconds: float = 5.0


PLAIN = PlainLimits()
SUBMISSION = SubmissionLimits()
GRADER = GraderLimits()
SANDBOX = SandboxLimits()
