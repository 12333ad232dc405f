/* simd.h: the Cortex-M DSP-extension intrinsics the optimized kernels use, with portable C
   fallbacks that give the same results, and the inlined requantization. */
#ifndef TM_SIMD_H
#define TM_SIMD_H
#include "tinyml.h"

#if defined(__ARM_FEATURE_DSP)
#define SXTB16(v) __builtin_arm_sxtb16(v)  /* bytes 0 and 2, sign-extended to two int16 lanes */
#define SXTB16_ROR8(v) __builtin_arm_sxtb16(((uint32_t)(v) >> 8) | ((uint32_t)(v) << 24))
#define SMLAD(a, b, acc) __builtin_arm_smlad((a), (b), (acc))  /* acc + a.lo*b.lo + a.hi*b.hi */
#define SADD16(a, b) __builtin_arm_sadd16((a), (b))  /* two int16 lane sums */
#else  /* portable fallbacks: same results */
static inline int32_t SXTB16(int32_t v) {
    return (int32_t)(((uint32_t)(int16_t)(int8_t)v & 0xffffu) | ((uint32_t)(int8_t)(v >> 16) << 16));
}
#define SXTB16_ROR8(v) SXTB16((int32_t)(((uint32_t)(v) >> 8) | ((uint32_t)(v) << 24)))
static inline int32_t SADD16(int32_t a, int32_t b) {
    return (int32_t)(((uint32_t)(int16_t)(a + b) & 0xffffu) | ((uint32_t)((a >> 16) + (b >> 16)) << 16));
}
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
#if defined(__ARM_FEATURE_DSP)
static inline int32_t SMMLAR(int32_t a, int32_t b, int32_t acc) {  /* (acc.2^32 + a.b + 2^31) >> 32 */
    int32_t out;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(out) : "r"(a), "r"(b), "r"(acc));
    return out;
}
static inline int32_t SSAT8(int32_t v) { return __builtin_arm_ssat(v, 8); }  /* clamp to int8 */
#else
static inline int32_t SMMLAR(int32_t a, int32_t b, int32_t acc) {
    return (int32_t)((((int64_t)acc << 32) + (int64_t)a * b + 0x80000000LL) >> 32);
}
static inline int32_t SSAT8(int32_t v) { return v < -128 ? -128 : v > 127 ? 127 : v; }
#endif

/* TinyEngine tier: the fused requantization. With r = -shift >= 1 and h = 2^(r-1), TFLite's
   RoundingDivideByPOT(SRDHM(acc, m0), r) + y_zp equals
       floor((acc * m0 + 2^30 + (h + y_zp 2^r - [acc < 0]) * 2^31) / 2^(31 + r))
     = SMMLAR(2 acc, m0, hz - [acc < 0]) >> r,   hz = h + y_zp * 2^r
   (nested floors: one rounding multiply-accumulate and one shift) whenever m0 >= 0, |acc| < 2^30
   (2 acc does not overflow) and |hz| < 2^30 (the sum does not). The code generator checks all
   three from the op's constants (layouts.fused_requant_applies) and gives other ops the
   reference kernel; tests/test_deploy_tiers.py checks the identity against
   runtime/fixedpoint.py, negative values and rounding ties included. The tinyengine kernels
   accumulate 2 acc directly (their int16 inputs are doubled) and read m0, hz, r per channel
   from the generated table. */
static inline int32_t te_requant(int32_t acc2, int32_t m0, int32_t hz, int32_t r) {
    return SMMLAR(acc2, m0, hz - (int32_t)((uint32_t)acc2 >> 31)) >> r;
}

/* clamp to [lo, hi] with the bounds known at compile time (the code generator bakes them in):
   SSAT where a bound is int8's own */
static inline __attribute__((always_inline)) int8_t te_clamp(int32_t v, int32_t lo, int32_t hi) {
    if (lo == -128 || hi == 127) v = SSAT8(v);
    if (lo != -128) v = v < lo ? lo : v;
    if (hi != 127) v = v > hi ? hi : v;
    return (int8_t)v;
}
#endif
