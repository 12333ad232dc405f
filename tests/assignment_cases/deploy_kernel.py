"""The deploy-kernel homework (C on an emulated Cortex-M7) as a pipeline test case
(tests/test_assignment_pipelines.py).

Students: `solved` (the reference solution), `untouched` (the release as handed out: an empty
kernel, which compiles and runs but is wrong), `wasteful` (bit-exact, but through a static
4 KiB second buffer: fails the SRAM test only). The grader compiles and runs each KERNEL_C
itself, on held-out cases (hidden_checks.py). Hostile students (EXTRA_STUDENTS, each must score
0 without costing the others anything): `looper` (an endless loop: the instruction budget stops
it), `smasher` (writes below SRAM: a memory fault), `hoarder` (a 1 MiB static array: the link
fails, region RAM overflowed).
"""
from harness.nbgrader_pipeline import solved_submission, with_solution

ASSIGNMENT = "deploy_kernel"
NOTEBOOK = "deploy_kernel.ipynb"
MAX_POINTS = 10.0
POINTS = {"test-bit-exact": 5, "test-sram": 2, "test-instructions": 3}

_HEAD = '''KERNEL_C = r"""
void student_dwconv_inplace(int8_t *x, int8_t *scratch, const tm_geom *g, const tm_quant *q) {
"""
'''
WASTEFUL_KERNEL = _HEAD + '''KERNEL_C = "static int8_t full[4096];\\n" + KERNEL_C + r"""
    int k = g->k, h = g->in_h, w = g->in_w, ho = g->out_h, wo = g->out_w;
    for (int c = 0; c < g->cout; c++)
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++) {
                int32_t acc = q->bias[c];
                for (int ky = 0; ky < k; ky++)
                    for (int kx = 0; kx < k; kx++) {
                        int iy = oy * g->stride - g->pad + ky, ix = ox * g->stride - g->pad + kx;
                        if (iy >= 0 && iy < h && ix >= 0 && ix < w)
                            acc += (x[(c * h + iy) * w + ix] - q->x_zp) * q->weight[(c * k + ky) * k + kx];
                    }
                full[(c * ho + oy) * wo + ox] = tm_requant(acc, q->m0[c], q->shift[c], q);
            }
    for (int i = 0; i < g->cout * ho * wo; i++) x[i] = full[i];
}
"""
'''
LOOPER_KERNEL = _HEAD + 'KERNEL_C += "    for (;;) { }\\n}\\n"\n'
SMASHER_KERNEL = _HEAD + 'KERNEL_C += "    x[-0x100000] = 1;\\n}\\n"\n'
HOARDER_KERNEL = 'KERNEL_C = "static int8_t hoard[1 << 20];\\n" + ' + _HEAD.split("= ", 1)[1].rstrip() + \
    ' + "    hoard[g->cin] = 1; x[0] = hoard[3];\\n}\\n"\n'

WRONG_POINTS = MAX_POINTS - POINTS["test-sram"]
SOLUTION_SNIPPETS = ["acc += (xc[iy * w + ix] - q->x_zp)", "x[c * ho * wo + i] = scratch[i]"]
HIDDEN_SNIPPETS = ["HIDDEN TESTS", "BIT_EXACT_CASES", "_grader_source", "hidden_checks",
                   "(5, 11, 7, 2, 3)"]
VISIBLE_SNIPPETS = ["expect_true(check.bit_exact", "reference.sram_bytes + 256"]


def _kernel(source):
    def submission(course, assignment):
        solved = solved_submission(course, assignment)[NOTEBOOK]
        return {NOTEBOOK: with_solution(solved, "kernel-c", source)}
    return submission


def wrong_submission(course, assignment):
    return _kernel(WASTEFUL_KERNEL)(course, assignment)


WRONG_STUDENT = "wasteful"  # the name the partly wrong submission is graded under
FAILED_CELLS = {"test-sram"}  # the graded cells its mistakes break
# sentences each student's feedback must hold (tests/test_assignment_pipelines.py)
FEEDBACK = {"wasteful": ["on the held-out case C,H,W=6,12,12 k=3 stride=1: SRAM",
                         "(in place: no second tensor)"],
            "solved": ["compiled and run by the grader: bit-exact on all 4 held-out cases"],
            "overrider": ["compiled and run by the grader, fails 4 of 4 held-out cases"]}
# no kernel at all, and the notebook's checks overridden in Python (it scored 10 of 10 when the
# checks ran in the student's kernel: issue 18, item 2)
PYTHON_OVERRIDE = '''
KERNEL_C = "void student_dwconv_inplace(void) {}"
from tinyml_course.deploy.kernel_check import KernelCheck as _K
check_inplace_depthwise = lambda *a, **k: _K(None, True, 1, 1, 1, 1, None)
'''
EXTRA_STUDENTS = {"looper": _kernel(LOOPER_KERNEL), "smasher": _kernel(SMASHER_KERNEL),
                  "hoarder": _kernel(HOARDER_KERNEL),  # hostile C: 0 points each
                  "overrider": _kernel(PYTHON_OVERRIDE)}
