/* pwconv.c: 1x1 convolution (and fully connected: a 1x1 on a 1x1 image): reference, optimized and
   tinyengine. */
#include "simd.h"

/* reference: plain loops */
void tm_pwconv_ref(const int8_t *x, int8_t *y, const tm_geom *g, const tm_quant *q) {
    TM_TRIP(pwconv_ref_call);
    int plane = g->win_h * g->win_w;
    for (int co = 0; co < g->cout; co++) {
        TM_TRIP(pwconv_ref_channel);
        for (int oy = 0; oy < g->out_h; oy++) {
            TM_TRIP(pwconv_ref_row);
            for (int ox = 0; ox < g->out_w; ox++) {
                TM_TRIP(pwconv_ref_pixel);
                const int8_t *xp = x + (g->out_r0 + oy - g->win_r0) * g->win_w + (g->out_c0 + ox - g->win_c0);
                int32_t acc = 0;
                for (int ci = 0; ci < g->cin; ci++) {
                    TM_TRIP(pwconv_ref_cin);
                    acc += (xp[ci * plane] - q->x_zp) * q->weight[co * g->cin + ci];
                }
                acc += q->bias[co];
                y[co * g->y_cstride + oy * g->y_rstride + ox] =
                    tm_requant(acc, q->m0[co], q->shift[co], q);
            }
        }
    }
}

/* optimized: two output channels at a time share every input load, and four input channels go
   through two SMLAD dual 16-bit multiply-accumulates per channel; the zero point is folded into
   the bias (q->wsum) */
void tm_pwconv_opt(const int8_t *x, int8_t *y, const tm_geom *g, const tm_quant *q) {
    TM_TRIP(pwconv_opt_call);
    int plane = g->win_h * g->win_w, cin = g->cin, cin4 = cin & ~3;
    for (int oy = 0; oy < g->out_h; oy++) {
        TM_TRIP(pwconv_opt_row);
        for (int ox = 0; ox < g->out_w; ox++) {
            TM_TRIP(pwconv_opt_pixel);
            const int8_t *xp = x + (g->out_r0 + oy - g->win_r0) * g->win_w + (g->out_c0 + ox - g->win_c0);
            int8_t *yp = y + oy * g->y_rstride + ox;
            int co = 0;
            for (; co + 1 < g->cout; co += 2) {
                TM_TRIP(pwconv_opt_pair);
                const int8_t *w0 = q->weight + co * cin, *w1 = w0 + cin;
                int32_t acc0 = q->bias[co] - q->x_zp * q->wsum[co];
                int32_t acc1 = q->bias[co + 1] - q->x_zp * q->wsum[co + 1];
                int ci = 0;
                for (; ci < cin4; ci += 4) {
                    TM_TRIP(pwconv_opt_quad);
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
                    TM_TRIP(pwconv_opt_tail);
                    int32_t xv = xp[ci * plane];
                    acc0 += xv * w0[ci];
                    acc1 += xv * w1[ci];
                }
                yp[co * g->y_cstride] = requant(acc0, q->m0[co], q->shift[co], q);
                yp[(co + 1) * g->y_cstride] = requant(acc1, q->m0[co + 1], q->shift[co + 1], q);
            }
            for (; co < g->cout; co++) {  /* an odd last output channel */
                TM_TRIP(pwconv_opt_odd);
                const int8_t *w0 = q->weight + co * cin;
                int32_t acc0 = q->bias[co] - q->x_zp * q->wsum[co];
                for (int ci = 0; ci < cin; ci++) {
                    TM_TRIP(pwconv_opt_odd_cin);
                    acc0 += xp[ci * plane] * w0[ci];
                }
                yp[co * g->y_cstride] = requant(acc0, q->m0[co], q->shift[co], q);
            }
        }
    }
}

/* ---- tinyengine tier ----------------------------------------------------------------------
   TinyEngine's 1x1 convolution (mat_mult_kernels.c, its "reordered" variant): 2 output channels
   x 2 output pixels per step on int16 operands, 8 SMLAD per 16 MACs, the requantization fused.
   What the code generator (codegen.py) lays out for it at generation time:
     weight: per pair of output channels (co, co + 1) and per group of 4 input channels, the
             word of co then the word of co + 1, each word's bytes in the order [w0, w2, w1, w3]
             so that SXTB16 gives the int16 pair (w0, w1) and SXTB16 of the word rotated by 8
             gives (w2, w3); input channels padded with zero weights to a multiple of 4; an odd
             last output channel alone at the end;
     bias:   bias - x_zp * sum(w): the input zero point folded in, raw int8 inputs multiplied;
     rnd:    (Cout, 2) te_requant's rounding constant.
   The column buffer (on the stack, 4 words per group) holds two pixels' inputs as int16 pairs,
   interleaved as the micro-kernel reads them: [p: ch 0,1][p+1: ch 0,1][p: ch 2,3][p+1: ch 2,3];
   it is filled once per pixel pair and read by every output channel. CHW layout: the pixels of
   one channel are adjacent bytes, so one halfword load brings a channel's two pixels. */

static inline int32_t load16(const int8_t *p) {  /* two adjacent int8 as a halfword (LDRH) */
    uint16_t v;
    __builtin_memcpy(&v, p, 2);
    return v;
}

/* the column of pixels p and p + 1 (x points at pixel p of channel 0, plane = channel stride) */
static void te_fill_pair(int32_t *col, const int8_t *x, int plane, int cin) {
    int c = 0;
    for (; c + 4 <= cin; c += 4, col += 4) {
        TM_TRIP(pwconv_te_fill);
        int32_t a = pack16(load16(x), load16(x + plane));  /* bytes: c@p, c@p+1, c+1@p, c+1@p+1 */
        x += 2 * plane;
        int32_t b = pack16(load16(x), load16(x + plane));
        x += 2 * plane;
        col[0] = SXTB16(a);       /* pixel p:     (c, c + 1) */
        col[1] = SXTB16_ROR8(a);  /* pixel p + 1: (c, c + 1) */
        col[2] = SXTB16(b);       /* pixel p:     (c + 2, c + 3) */
        col[3] = SXTB16_ROR8(b);
    }
    if (c < cin) {  /* 1 to 3 last channels; the missing ones are 0 (their weights are 0 too) */
        TM_TRIP(pwconv_te_fill_tail);
        int32_t h[4] = {0, 0, 0, 0};
        for (int i = 0; c + i < cin; i++) {
            TM_TRIP(pwconv_te_fill_tail_ch);
            h[i] = load16(x + i * plane);
        }
        int32_t a = pack16(h[0], h[1]), b = pack16(h[2], h[3]);
        col[0] = SXTB16(a);
        col[1] = SXTB16_ROR8(a);
        col[2] = SXTB16(b);
        col[3] = SXTB16_ROR8(b);
    }
}

/* the column of one last pixel, written into both pixel slots (the kernel computes it twice) */
static void te_fill_one(int32_t *col, const int8_t *x, int plane, int cin) {
    for (int c = 0; c < cin; c += 4, col += 4) {
        TM_TRIP(pwconv_te_fill_one);
        int32_t v[4] = {0, 0, 0, 0};
        for (int i = 0; i < 4 && c + i < cin; i++) {
            TM_TRIP(pwconv_te_fill_one_ch);
            v[i] = x[(c + i) * plane];
        }
        col[0] = col[1] = pack16(v[0], v[1]);
        col[2] = col[3] = pack16(v[2], v[3]);
    }
}

/* the micro-kernel: 2 output channels (weights w, interleaved) x 2 pixels (column col) over
   `groups` groups of 4 input channels; acc[channel * 2 + pixel], starting from the biases.
   `step` is 2 for a channel pair, 1 for an odd last channel (its words are not interleaved,
   and the kernel computes it twice). */
static inline __attribute__((always_inline)) void te_mac_2x2(const int32_t *col, const int32_t *w,
                                                             int groups, int step, int32_t acc[4]) {
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    for (int i = 0; i < groups; i++, col += 4, w += step) {
        TM_TRIP(pwconv_te_mac);
        int32_t x0 = col[0], y0 = col[1], x1 = col[2], y1 = col[3];  /* LDM */
        int32_t wa = w[0];
        int32_t lo = SXTB16(wa), hi = SXTB16_ROR8(wa);  /* (w0, w1), (w2, w3) */
        a00 = SMLAD(lo, x0, a00);
        a00 = SMLAD(hi, x1, a00);
        a01 = SMLAD(lo, y0, a01);
        a01 = SMLAD(hi, y1, a01);
        int32_t wb = w[step - 1];
        lo = SXTB16(wb);
        hi = SXTB16_ROR8(wb);
        a10 = SMLAD(lo, x0, a10);
        a10 = SMLAD(hi, x1, a10);
        a11 = SMLAD(lo, y0, a11);
        a11 = SMLAD(hi, y1, a11);
    }
    acc[0] = a00, acc[1] = a01, acc[2] = a10, acc[3] = a11;
}

/* every output channel of two pixels (outputs at y0 and y1: equal for one last pixel) */
static void te_channels(const int32_t *col, int8_t *y0, int8_t *y1, const tm_geom *g,
                        const tm_quant *q, int groups) {
    const int32_t *w = (const int32_t *)q->weight;  /* 4-byte aligned in the blob */
    int32_t cs = g->y_cstride, zp = q->y_zp, lo = q->act_min, hi = q->act_max;
    int co = 0;
    for (; co + 2 <= g->cout; co += 2, w += 2 * groups) {
        TM_TRIP(pwconv_te_pair);
        int32_t acc[4] = {q->bias[co], q->bias[co], q->bias[co + 1], q->bias[co + 1]};
        te_mac_2x2(col, w, groups, 2, acc);
        const int32_t *m0 = q->m0 + co, *sh = q->shift + co, *rnd = q->rnd + 2 * co;
        y1[co * cs] = te_requant(acc[1], m0[0], rnd, sh[0], zp, lo, hi);
        y0[co * cs] = te_requant(acc[0], m0[0], rnd, sh[0], zp, lo, hi);
        y1[(co + 1) * cs] = te_requant(acc[3], m0[1], rnd + 2, sh[1], zp, lo, hi);
        y0[(co + 1) * cs] = te_requant(acc[2], m0[1], rnd + 2, sh[1], zp, lo, hi);
    }
    if (co < g->cout) {  /* an odd last output channel */
        TM_TRIP(pwconv_te_odd);
        int32_t acc[4] = {q->bias[co], q->bias[co], q->bias[co], q->bias[co]};
        te_mac_2x2(col, w, groups, 1, acc);
        y1[co * cs] = te_requant(acc[1], q->m0[co], q->rnd + 2 * co, q->shift[co], zp, lo, hi);
        y0[co * cs] = te_requant(acc[0], q->m0[co], q->rnd + 2 * co, q->shift[co], zp, lo, hi);
    }
}

/* tinyengine: pixels in runs that are contiguous in input and output (the whole region when the
   window is as wide as the output and the output rows are packed, else one run per row) */
void tm_pwconv_te(const int8_t *x, int8_t *y, const tm_geom *g, const tm_quant *q) {
    TM_TRIP(pwconv_te_call);
    int cin = g->cin, groups = (cin + 3) >> 2, plane = g->win_h * g->win_w;
    int32_t col[4 * groups];  /* the column buffer: 8 bytes per input channel group, on the stack */
    int packed = g->out_w == g->win_w && g->y_rstride == g->out_w;
    int runs = packed ? 1 : g->out_h, length = packed ? g->out_h * g->out_w : g->out_w;
    const int8_t *x0 = x + (g->out_r0 - g->win_r0) * g->win_w + (g->out_c0 - g->win_c0);
    for (int r = 0; r < runs; r++) {
        TM_TRIP(pwconv_te_run);
        const int8_t *xp = x0 + r * g->win_w;
        int8_t *yp = y + r * g->y_rstride;
        int p = 0;
        for (; p + 2 <= length; p += 2) {
            TM_TRIP(pwconv_te_pixels);
            te_fill_pair(col, xp + p, plane, cin);
            te_channels(col, yp + p, yp + p + 1, g, q, groups);
        }
        if (p < length) {
            TM_TRIP(pwconv_te_last);
            te_fill_one(col, xp + p, plane, cin);
            te_channels(col, yp + p, yp + p, g, q, groups);
        }
    }
}
