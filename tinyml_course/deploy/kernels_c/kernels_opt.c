/* kernels_opt.c: TinyEngine-style specialised int8 kernels, bit-exact with the reference ones.

   Tricks (all exact in int32 arithmetic, which wraps the same way either way):
   - the input zero point leaves the inner loop: sum (x - x_zp) * w = sum x * w - x_zp * sum w,
     with sum w per output channel computed offline (q->wsum, in Flash);
   - 1x1 pointwise: two output channels at a time share every input load, and four input channels
     go through two SMLAD dual 16-bit multiply-accumulates (Cortex-M DSP extension) per channel;
   - 3x3 depthwise and 3x3 full conv: interior pixels run an unrolled 9-tap loop with no padding
     checks; only the border pixels take the reference path. */
#include "tinyml.h"

#if defined(__ARM_FEATURE_DSP)
#define SXTB16(v) __builtin_arm_sxtb16(v)
#define SXTB16_ROR8(v) __builtin_arm_sxtb16(((uint32_t)(v) >> 8) | ((uint32_t)(v) << 24))
#define SMLAD(a, b, acc) __builtin_arm_smlad((a), (b), (acc))
#else  /* portable fallbacks: same results */
static int32_t SXTB16(int32_t v) {
    return (int32_t)(((uint32_t)(int16_t)(int8_t)v & 0xffffu) | ((uint32_t)(int8_t)(v >> 16) << 16));
}
#define SXTB16_ROR8(v) SXTB16((int32_t)(((uint32_t)(v) >> 8) | ((uint32_t)(v) << 24)))
static int32_t SMLAD(int32_t a, int32_t b, int32_t acc) {
    return (int32_t)((uint32_t)acc + (uint32_t)((int16_t)a * (int16_t)b) +
                     (uint32_t)((a >> 16) * (b >> 16)));
}
#endif

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

static int32_t load32(const int8_t *p) {  /* unaligned 32-bit load (Cortex-M4/M7 allow it) */
    int32_t v;
    __builtin_memcpy(&v, p, 4);
    return v;
}

static int32_t pack16(int32_t lo, int32_t hi) {  /* two int16 lanes: PKHBT */
    return (int32_t)(((uint32_t)lo & 0xffffu) | ((uint32_t)hi << 16));
}

void tm_pwconv_opt(const int8_t *x, int8_t *y, const tm_geom *g, const tm_quant *q) {
    int plane = g->win_h * g->win_w, cin = g->cin, cin4 = cin & ~3;
    for (int oy = 0; oy < g->out_h; oy++) {
        for (int ox = 0; ox < g->out_w; ox++) {
            const int8_t *xp = x + (g->out_r0 + oy - g->win_r0) * g->win_w + (g->out_c0 + ox - g->win_c0);
            int8_t *yp = y + oy * g->y_rstride + ox;
            int co = 0;
            for (; co + 1 < g->cout; co += 2) {
                const int8_t *w0 = q->weight + co * cin, *w1 = w0 + cin;
                int32_t acc0 = q->bias[co] - q->x_zp * q->wsum[co];
                int32_t acc1 = q->bias[co + 1] - q->x_zp * q->wsum[co + 1];
                int ci = 0;
                for (; ci < cin4; ci += 4) {
                    const int8_t *xc = xp + ci * plane;
                    int32_t x02 = pack16(xc[0], xc[2 * plane]);
                    int32_t x13 = pack16(xc[plane], xc[3 * plane]);
                    int32_t wa = load32(w0 + ci), wb = load32(w1 + ci);
                    acc0 = SMLAD(SXTB16(wa), x02, acc0);
                    acc0 = SMLAD(SXTB16_ROR8(wa), x13, acc0);
                    acc1 = SMLAD(SXTB16(wb), x02, acc1);
                    acc1 = SMLAD(SXTB16_ROR8(wb), x13, acc1);
                }
                for (; ci < cin; ci++) {
                    int32_t xv = xp[ci * plane];
                    acc0 += xv * w0[ci];
                    acc1 += xv * w1[ci];
                }
                yp[co * g->y_cstride] = requant(acc0, q->m0[co], q->shift[co], q);
                yp[(co + 1) * g->y_cstride] = requant(acc1, q->m0[co + 1], q->shift[co + 1], q);
            }
            for (; co < g->cout; co++) {  /* an odd last output channel */
                const int8_t *w0 = q->weight + co * cin;
                int32_t acc0 = q->bias[co] - q->x_zp * q->wsum[co];
                for (int ci = 0; ci < cin; ci++) acc0 += xp[ci * plane] * w0[ci];
                yp[co * g->y_cstride] = requant(acc0, q->m0[co], q->shift[co], q);
            }
        }
    }
}

/* the accumulator of output (co, oy, ox) of a full conv, plain loops (a border pixel) */
static int32_t conv_acc_ref(const int8_t *x, int co, int oy, int ox, const tm_geom *g,
                            const tm_quant *q) {
    int k = g->k, plane = g->win_h * g->win_w;
    int iy0 = (g->out_r0 + oy) * g->stride - g->pad, ix0 = (g->out_c0 + ox) * g->stride - g->pad;
    int32_t acc = q->bias[co];
    for (int ci = 0; ci < g->cin; ci++) {
        for (int ky = 0; ky < k; ky++) {
            int iy = iy0 + ky;
            if (iy < 0 || iy >= g->in_h) continue;
            for (int kx = 0; kx < k; kx++) {
                int ix = ix0 + kx;
                if (ix < 0 || ix >= g->in_w) continue;
                int32_t xv = x[ci * plane + (iy - g->win_r0) * g->win_w + (ix - g->win_c0)];
                acc += (xv - q->x_zp) * q->weight[((co * g->cin + ci) * k + ky) * k + kx];
            }
        }
    }
    return acc;
}

/* full conv, 3x3 specialised: interior pixels run 9 unrolled taps per input channel with the zero
   point folded into the bias; border pixels and other kernel sizes use the plain loops */
void tm_conv_opt(const int8_t *x, int8_t *y, const tm_geom *g, const tm_quant *q) {
    if (g->k != 3) {
        tm_conv_ref(x, y, g, q);
        return;
    }
    int s = g->stride, ww = g->win_w, plane = g->win_h * ww, cin = g->cin;
    for (int co = 0; co < g->cout; co++) {
        const int8_t *wc = q->weight + co * cin * 9;
        int32_t base = q->bias[co] - q->x_zp * q->wsum[co];
        for (int oy = 0; oy < g->out_h; oy++) {
            int iy0 = (g->out_r0 + oy) * s - g->pad;
            int rows_inside = iy0 >= 0 && iy0 + 3 <= g->in_h;
            for (int ox = 0; ox < g->out_w; ox++) {
                int ix0 = (g->out_c0 + ox) * s - g->pad;
                int32_t acc;
                if (rows_inside && ix0 >= 0 && ix0 + 3 <= g->in_w) {
                    const int8_t *p = x + (iy0 - g->win_r0) * ww + (ix0 - g->win_c0);
                    acc = base;
                    for (int ci = 0; ci < cin; ci++, p += plane) {
                        const int8_t *w = wc + ci * 9;
                        acc += p[0] * w[0] + p[1] * w[1] + p[2] * w[2]
                             + p[ww] * w[3] + p[ww + 1] * w[4] + p[ww + 2] * w[5]
                             + p[2 * ww] * w[6] + p[2 * ww + 1] * w[7] + p[2 * ww + 2] * w[8];
                    }
                } else {
                    acc = conv_acc_ref(x, co, oy, ox, g, q);
                }
                y[co * g->y_cstride + oy * g->y_rstride + ox] = requant(acc, q->m0[co], q->shift[co], q);
            }
        }
    }
}

/* one channel of a depthwise conv, 3x3 specialised; other kernel sizes use the plain loops */
static void dw_channel_opt(const int8_t *xc, int8_t *yc, int32_t y_rs, int c, const tm_geom *g,
                           const tm_quant *q) {
    int k = g->k, s = g->stride, ww = g->win_w;
    const int8_t *w = q->weight + c * k * k;
    int32_t base = q->bias[c] - q->x_zp * q->wsum[c];  /* bias with the zero point folded in */
    for (int oy = 0; oy < g->out_h; oy++) {
        int iy0 = (g->out_r0 + oy) * s - g->pad;
        int rows_inside = iy0 >= 0 && iy0 + k <= g->in_h;
        for (int ox = 0; ox < g->out_w; ox++) {
            int ix0 = (g->out_c0 + ox) * s - g->pad;
            int32_t acc;
            if (k == 3 && rows_inside && ix0 >= 0 && ix0 + 3 <= g->in_w) {
                const int8_t *p = xc + (iy0 - g->win_r0) * ww + (ix0 - g->win_c0);
                acc = base + p[0] * w[0] + p[1] * w[1] + p[2] * w[2];
                p += ww;
                acc += p[0] * w[3] + p[1] * w[4] + p[2] * w[5];
                p += ww;
                acc += p[0] * w[6] + p[1] * w[7] + p[2] * w[8];
            } else {  /* a border pixel: padding taps are skipped, zero point subtracted per tap */
                acc = q->bias[c];
                for (int ky = 0; ky < k; ky++) {
                    int iy = iy0 + ky;
                    if (iy < 0 || iy >= g->in_h) continue;
                    for (int kx = 0; kx < k; kx++) {
                        int ix = ix0 + kx;
                        if (ix < 0 || ix >= g->in_w) continue;
                        acc += (xc[(iy - g->win_r0) * ww + (ix - g->win_c0)] - q->x_zp) * w[ky * k + kx];
                    }
                }
            }
            yc[oy * y_rs + ox] = requant(acc, q->m0[c], q->shift[c], q);
        }
    }
}

void tm_dwconv_opt(const int8_t *x, int8_t *y, const tm_geom *g, const tm_quant *q) {
    int plane = g->win_h * g->win_w;
    for (int c = 0; c < g->cout; c++)
        dw_channel_opt(x + c * plane, y + c * g->y_cstride, g->y_rstride, c, g, q);
}

void tm_dwconv_inplace_opt(int8_t *x, int8_t *scratch, const tm_geom *g, const tm_quant *q) {
    int plane = g->win_h * g->win_w, out_plane = g->out_h * g->out_w;
    for (int c = 0; c < g->cout; c++) {
        dw_channel_opt(x + c * plane, scratch, g->out_w, c, g, q);
        int8_t *dst = x + c * out_plane;
        int i = 0;
        for (; i + 4 <= out_plane; i += 4) {  /* word copies where the plane allows */
            int32_t v = load32(scratch + i);
            __builtin_memcpy(dst + i, &v, 4);
        }
        for (; i < out_plane; i++) dst[i] = scratch[i];
    }
}
