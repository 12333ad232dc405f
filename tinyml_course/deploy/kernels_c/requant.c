/* requant.c: TFLite integer requantization, shared by every kernel (and by student kernels). */
#include "tinyml.h"

/* TFLite MultiplyByQuantizedMultiplier with gemmlowp's SaturatingRoundingDoublingHighMul and
   RoundingDivideByPOT: x * m0 * 2^(shift - 31), rounded as the package rounds it. */
int32_t tm_mbqm(int32_t x, int32_t m0, int32_t shift) {
    int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
    int64_t a = left ? (int64_t)x * ((int64_t)1 << left) : (int64_t)x;
    int32_t high;
    if (a == INT32_MIN && m0 == INT32_MIN) {
        high = INT32_MAX;  /* the only overflow saturates */
    } else {
        int64_t ab = left ? a * (int64_t)m0 : (int64_t)x * m0;
        int64_t t = ab + (ab >= 0 ? (1 << 30) : (1 - (1 << 30)));
        high = (int32_t)(t >= 0 ? (t >> 31) : -((-t) >> 31));  /* divide by 2^31 toward zero */
    }
    int32_t mask = (int32_t)(((uint32_t)1 << right) - 1u);
    int32_t remainder = high & mask, threshold = (mask >> 1) + (high < 0);
    return (high >> right) + (remainder > threshold);
}

int8_t tm_requant(int32_t acc, int32_t m0, int32_t shift, const tm_quant *q) {
    int64_t v = (int64_t)tm_mbqm(acc, m0, shift) + q->y_zp;
    if (v < q->act_min) v = q->act_min;
    if (v > q->act_max) v = q->act_max;
    return (int8_t)v;
}
