/* pwconv_te.h: the tinyengine tier's 1x1 convolution (and fully connected), beside pwconv.c's
   reference. TinyEngine's inner loop (mat_mult_kernels.c, its "reordered" variant): 2 output
   channels x 2 output pixels per step on int16 operands, 8 SMLAD per 16 MACs, requantization
   fused. The code generator (codegen.py) instantiates te_pwconv once per op, with the op's
   channel counts, zero point and clamp as constants (so the compiler specialises the loops and
   the clamp), and lays out its constants at generation time (layouts.py):
     weight: per pair of output channels (co, co + 1) and per group of 4 input channels, the
             word of co then the word of co + 1, each word's bytes in the order [w0, w2, w1, w3]
             so that SXTB16 gives the int16 pair (w0, w1) and SXTB16 of the word rotated by 8
             gives (w2, w3); input channels padded with zero weights to a multiple of 4; an odd
             last output channel alone at the end;
     chan:   per output channel {2 (bias - x_zp * sum(w)), m0, 2^(r-1) + y_zp 2^r, r = -shift}:
             the zero point folded into the bias (raw int8 inputs are multiplied), doubled as
             the accumulator is, and te_requant's constants (simd.h).
   The column buffer (on the stack, 4 words per group) holds two pixels' inputs as int16 pairs,
   doubled (SADD16, once per pixel: the accumulator comes out as te_requant's 2 acc),
   interleaved as the micro-kernel reads them: [p: ch 0,1][p+1: ch 0,1][p: ch 2,3][p+1: ch 2,3];
   it is filled once per pixel pair and read by every output channel. CHW layout: the pixels of
   one channel are adjacent bytes, so one halfword load brings a channel's two pixels. */
#ifndef TM_PWCONV_TE_H
#define TM_PWCONV_TE_H
#include "simd.h"

static inline int32_t load16(const int8_t *p) {  /* two adjacent int8 as a halfword (LDRH) */
    uint16_t v;
    __builtin_memcpy(&v, p, 2);
    return v;
}

#define TE_INLINE static inline __attribute__((always_inline))

/* the column of pixels p and p + 1 (x points at pixel p of channel 0, plane = channel stride) */
TE_INLINE void te_fill_pair(int32_t *col, const int8_t *x, int plane, const int cin) {
    int c = 0;
    for (; c + 4 <= cin; c += 4, col += 4) {
        TM_TRIP(pwconv_te_fill);
        int32_t a = pack16(load16(x), load16(x + plane));  /* bytes: c@p, c@p+1, c+1@p, c+1@p+1 */
        x += 2 * plane;
        int32_t b = pack16(load16(x), load16(x + plane));
        x += 2 * plane;
        int32_t v = SXTB16(a);    /* pixel p:     (c, c + 1) */
        col[0] = SADD16(v, v);    /* doubled */
        v = SXTB16_ROR8(a);       /* pixel p + 1: (c, c + 1) */
        col[1] = SADD16(v, v);
        v = SXTB16(b);            /* pixel p:     (c + 2, c + 3) */
        col[2] = SADD16(v, v);
        v = SXTB16_ROR8(b);
        col[3] = SADD16(v, v);
    }
    if (c < cin) {  /* 1 to 3 last channels; the missing ones are 0 (their weights are 0 too) */
        TM_TRIP(pwconv_te_fill_tail);
        int32_t h[4] = {0, 0, 0, 0};
        for (int i = 0; c + i < cin; i++) {
            TM_TRIP(pwconv_te_fill_tail_ch);
            h[i] = load16(x + i * plane);
        }
        int32_t a = pack16(h[0], h[1]), b = pack16(h[2], h[3]);
        int32_t v = SXTB16(a);
        col[0] = SADD16(v, v);
        v = SXTB16_ROR8(a);
        col[1] = SADD16(v, v);
        v = SXTB16(b);
        col[2] = SADD16(v, v);
        v = SXTB16_ROR8(b);
        col[3] = SADD16(v, v);
    }
}

/* the column of one last pixel, written into both pixel slots (the kernel computes it twice) */
TE_INLINE void te_fill_one(int32_t *col, const int8_t *x, int plane, const int cin) {
    for (int c = 0; c < cin; c += 4, col += 4) {
        TM_TRIP(pwconv_te_fill_one);
        int32_t v[4] = {0, 0, 0, 0};
        for (int i = 0; i < 4 && c + i < cin; i++) {
            TM_TRIP(pwconv_te_fill_one_ch);
            v[i] = 2 * x[(c + i) * plane];  /* doubled */
        }
        col[0] = col[1] = pack16(v[0], v[1]);
        col[2] = col[3] = pack16(v[2], v[3]);
    }
}

/* one group of 4 input channels of the micro-kernel: 2 weight words, 4 column words,
   4 SXTB16, 8 SMLAD = 16 MACs */
#define TE_GROUP(col, wa, wb)                                                                    \
    do {                                                                                         \
        int32_t x = (col)[0], y = (col)[1]; /* pixels p, p + 1: input channels (0, 1) */         \
        int32_t t = SXTB16(wa);             /* channel co: weights (w0, w1) */                   \
        a00 = SMLAD(t, x, a00);                                                                  \
        a01 = SMLAD(t, y, a01);                                                                  \
        t = SXTB16(wb);                     /* channel co + 1 */                                 \
        a10 = SMLAD(t, x, a10);                                                                  \
        a11 = SMLAD(t, y, a11);                                                                  \
        x = (col)[2], y = (col)[3];         /* input channels (2, 3) */                          \
        t = SXTB16_ROR8(wa);                /* weights (w2, w3) */                               \
        a00 = SMLAD(t, x, a00);                                                                  \
        a01 = SMLAD(t, y, a01);                                                                  \
        t = SXTB16_ROR8(wb);                                                                     \
        a10 = SMLAD(t, x, a10);                                                                  \
        a11 = SMLAD(t, y, a11);                                                                  \
    } while (0)

/* the micro-kernel: 2 output channels (weights w, interleaved) x 2 pixels (column col) over
   `groups` groups of 4 input channels; acc[channel * 2 + pixel], starting from the biases.
   `step` is 2 for a channel pair, 1 for an odd last channel (its words are not interleaved,
   and the kernel computes it twice). Unrolled by hand: two groups (32 MACs) per iteration. */
TE_INLINE void te_mac_2x2(const int32_t *col, const int32_t *w, const int groups, const int step,
                          int32_t acc[4]) {
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    const int32_t *end = col + 8 * (groups >> 1);
    __asm__("" : "+r"(col), "+r"(w));  /* opaque pointers: the compiler walks them, not sp + i */
    while (col < end) {
        TM_TRIP(pwconv_te_mac);
        int32_t wa = w[0], wb = w[step - 1], wc = w[step], wd = w[2 * step - 1];
        w += 2 * step;
        TE_GROUP(col, wa, wb);
        TE_GROUP(col + 4, wc, wd);
        col += 8;
    }
    if (groups & 1) {
        TM_TRIP(pwconv_te_mac_tail);
        int32_t wa = w[0], wb = w[step - 1];
        TE_GROUP(col, wa, wb);
    }
    acc[0] = a00, acc[1] = a01, acc[2] = a10, acc[3] = a11;
}
#undef TE_GROUP

/* requantize channel c's two pixels (record ch = {2 bias, m0, hz, r}) and store them */
TE_INLINE void te_store2(int8_t *y0, int8_t *y1, int32_t acc0, int32_t acc1, const int32_t *ch,
                         const int32_t lo, const int32_t hi) {
    int32_t m0 = ch[1], hz = ch[2], r = ch[3];
    *y1 = te_clamp(te_requant(acc1, m0, hz, r), lo, hi);
    *y0 = te_clamp(te_requant(acc0, m0, hz, r), lo, hi);
}

/* every output channel of two pixels (outputs at y0 and y1: equal for one last pixel) */
TE_INLINE void te_channels(const int32_t *col, int8_t *y0, int8_t *y1, int32_t cs,
                           const tm_quant *q, const int cin, const int cout, const int32_t y_zp,
                           const int32_t lo, const int32_t hi) {
    const int groups = (cin + 3) >> 2;
    const int32_t *w = (const int32_t *)q->weight;  /* 4-byte aligned in the blob */
    const int32_t *ch = q->chan;
    int co = 0;
    for (; co + 2 <= cout; co += 2, w += 2 * groups, ch += 8, y0 += 2 * cs, y1 += 2 * cs) {
        TM_TRIP(pwconv_te_pair);
        int32_t acc[4] = {ch[0], ch[0], ch[4], ch[4]};
        te_mac_2x2(col, w, groups, 2, acc);
        te_store2(y0, y1, acc[0], acc[1], ch, lo, hi);
        te_store2(y0 + cs, y1 + cs, acc[2], acc[3], ch + 4, lo, hi);
    }
    if (co < cout) {  /* an odd last output channel */
        TM_TRIP(pwconv_te_odd);
        int32_t acc[4] = {ch[0], ch[0], ch[0], ch[0]};
        te_mac_2x2(col, w, groups, 1, acc);
        te_store2(y0, y1, acc[0], acc[1], ch, lo, hi);
    }
}

/* one op: pixels in runs contiguous in input and output (the whole region when the window is as
   wide as the output and the output rows are packed, else one run per row). cin, cout, y_zp,
   lo, hi: the op's constants, literals in the generated instance. */
TE_INLINE void te_pwconv(const int8_t *x, int8_t *y, const tm_geom *g, const tm_quant *q,
                         const int cin, const int cout, const int32_t y_zp, const int32_t lo,
                         const int32_t hi) {
    TM_TRIP(pwconv_te_call);
    int32_t col[4 * ((cin + 3) >> 2)];  /* the column buffer: 16 bytes per 4 input channels */
    int plane = g->win_h * g->win_w, cs = g->y_cstride;
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
            te_channels(col, yp + p, yp + p + 1, cs, q, cin, cout, y_zp, lo, hi);
        }
        if (p < length) {
            TM_TRIP(pwconv_te_last);
            te_fill_one(col, xp + p, plane, cin);
            te_channels(col, yp + p, yp + p, cs, q, cin, cout, y_zp, lo, hi);
        }
    }
}
#endif
