/* simd.h: the Cortex-M DSP-extension intrinsics the optimized kernels use, with portable C
   fallbacks that give the same results, and the inlined requantization. */
#ifndef TM_SIMD_H
#define TM_SIMD_H
#include "tinyml.h"

#if defined(__ARM_FEATURE_DSP)
#define SXTB16(v) __builtin_arm_sxtb16(v)  /* bytes 0 and 2, sign-extended to two int16 lanes */
#define SXTB16_ROR8(v) __builtin_arm_sxtb16(((uint32_t)(v) >> 8) | ((uint32_t)(v) << 24))
#define SMLAD(a, b, acc) __builtin_arm_smlad((a), (b), (acc))  /* acc + a.lo*b.lo + a.hi*b.hi */
#else  /* portable fallbacks: same results */
static inline int32_t SXTB16(int32_t v) {
    return (int32_t)(((uint32_t)(int16_t)(int8_t)v & 0xffffu) | ((uint32_t)(int8_t)(v >> 16) << 16));
}
#define SXTB16_ROR8(v) SXTB16((int32_t)(((uint32_t)(v) >> 8) | ((uint32_t)(v) << 24)))
static inline int32_t SMLAD(int32_t a, int32_t b, int32_t acc) {
    return (int32_t)((uint32_t)acc + (uint32_t)((int16_t)a * (int16_t)b) +
                     (uint32_t)((a >> 16) * (b >> 16)));
}
#endif

static inline int32_t load32(const int8_t *p) {  /* unaligned 32-bit load (Cortex-M4/M7 allow it) */
    int32_t v;
    __builtin_memcpy(&v, p, 4);
    return v;
}

static inline int32_t pack16(int32_t lo, int32_t hi) {  /* two int16 lanes: PKHBT */
    return (int32_t)(((uint32_t)lo & 0xffffu) | ((uint32_t)hi << 16));
}

/* tm_requant inlined, with the common right-shift-only case (shift <= 0) straight-line */
static inline int8_t requant(int32_t acc, int32_t m0, int32_t shift, const tm_quant *q) {
    if (shift > 0 || (acc == INT32_MIN && m0 == INT32_MIN)) return tm_requant(acc, m0, shift, q);
    int64_t ab = (int64_t)acc * m0;
    int64_t t = ab + (ab >= 0 ? (1 << 30) : (1 - (1 << 30)));
    int32_t high = (int32_t)(t >= 0 ? (t >> 31) : -((-t) >> 31));
    int right = -shift;
    int32_t mask = (int32_t)(((uint32_t)1 << right) - 1u);
    int32_t v = (high >> right) + ((high & mask) > (mask >> 1) + (high < 0)) + q->y_zp;
    v = v < q->act_min ? q->act_min : v;
    return (int8_t)(v > q->act_max ? q->act_max : v);
}
/* TinyEngine tier: the fused requantization, bit-exact with tm_requant whenever m0 >= 0 and
   shift <= -1 (every op the package's converter makes; codegen hands the other ops to the
   reference kernels). With r = -shift, TFLite's RoundingDivideByPOT(SRDHM(acc, m0), r) is
       floor((acc * m0 + 2^30 + (2^(r-1) - [acc < 0]) * 2^31) / 2^(31 + r)),
   one 64-bit multiply-accumulate (SMLAL) onto a constant and one shift of its high word:
   rnd = 2^30 + 2^(30 + r) (an int64 as two words, low first) is computed by the code generator,
   and the shift of the high word is r - 1 = ~shift (tests/test_deploy_tiers.py checks the
   identity against runtime/fixedpoint.py, negative and rounding-tie cases included). */
static inline int8_t te_requant(int32_t acc, int32_t m0, const int32_t *rnd, int32_t shift,
                                int32_t y_zp, int32_t act_min, int32_t act_max) {
    int64_t s;
    __builtin_memcpy(&s, rnd, 8);                              /* LDRD: the rounding constant */
    s -= (int64_t)((uint32_t)acc >> 31) << 31;                 /* - 2^31 for a negative acc */
    s += (int64_t)acc * m0;                                    /* SMLAL */
    int32_t v = ((int32_t)(s >> 32) >> ~shift) + y_zp;         /* high word >> (r - 1) */
    v = v < act_min ? act_min : v;
    return (int8_t)(v > act_max ? act_max : v);
}
#endif
