"""The course's grader: hidden checks decided outside the student's code, in a sandbox, a class
at a time (docs/grading.md). Shipped in the same distribution as ``tinyml_course`` so that the
course's ``nbgrader_config.py`` and the ``tinyml-course-grade`` command import it from any
course directory, with an editable or a plain install, with no path set up by hand.

It is a package beside ``tinyml_course``, not a layer inside it: it needs nbgrader (the ``lab``
extra), it imports the course package to compute expected values, and the course package never
imports it. Its modules, from the sandbox outwards:

| module | job |
|---|---|
| ``limits`` | every limit of a grading run, written once |
| ``messages`` | the typed messages between grader, worker and runner, validated when read |
| ``plain_data`` | values across the sandbox's wall: JSON, tagged arrays, sizes checked |
| ``student_runner`` | inside the sandbox: run the cells, call the checks' expressions |
| ``sandbox_layout`` | what the sandbox shows (an allow-list) and bubblewrap's command |
| ``memory_cgroup`` | a memory cgroup per run: one limit for everything it spawns, its peak |
| ``memory_watch`` | no cgroup here: the grader watches the whole sandbox's memory from outside |
| ``sandboxed_run`` | start the runner under its limits, read its one answer |
| ``case_harness`` | inside a sandbox of its own: one measured case, locked down |
| ``case_measurement`` | a case process's output and its peak memory, read from the kernel |
| ``check_declarations`` | ``Check``/``Case``, loading a hidden_checks.py, names resolved at load |
| ``comparisons`` | ``equal``, ``close``, ``fields``, ``contains`` |
| ``integrity`` | reference imports in a solution, similarity with the package's source |
| ``verdicts`` | a check's verdict from the runner's plain answers |
| ``nbgrader_execute`` | ``SandboxedExecute``, the preprocessor that replaces nbgrader's Execute |
| ``canary`` | before the first student: the instructor's solution must earn full marks |
| ``feedback_preprocessors`` | feedback: hidden tests and tracebacks cleared |
| ``submission`` | a submission folder checked and copied (no symbolic link followed) |
| ``grading_worker`` | a long-lived nbgrader process grading one student after another |
| ``class_scheduler`` | the class: workers, their students, the gradebook merged, the report |
| ``grade_command`` | ``tinyml-course-grade``: arguments, checks, one line per student |
| ``gradebook_merge`` | a student's rows from a worker's gradebook copy into the course's |
| ``nbgrader_speedups`` | what nbgrader redoes for every student, done once in a worker |
| ``process_tree`` | child subreaper, killing process trees |
| ``grading_report`` | ``reports/<assignment>.json`` and the TA's attention lines |
"""
