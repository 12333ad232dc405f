/* dwconv_te.h: the tinyengine tier's depthwise convolution, beside dwconv.c's reference. The code
   generator (codegen.py) instantiates te_dwconv once per op with the kernel size K and stride S
   as literals (3x3, 5x5 and 7x7, strides 1 and 2: each instance is its own specialised loop
   nest, the taps unrolled), and with the op's zero point and clamp; it lays out (layouts.py):
     weight: int16, per channel and kernel row the pairs (w0, w1), (w2, w3), ... and for an odd K
             a last pair (w_{K-1}, 0), so one SMLAD multiplies two taps;
     chan:   per channel {2 (bias - x_zp sum(w)), m0, hz, r}, as the 1x1 (pwconv_te.h).
   Borders are split from the interior by padding: the input channel streams, row by row, into a
   rolling buffer of K int16 rows (doubled, and outside the image the zero point), so every
   output runs the same unrolled taps with no bounds check; a padded tap adds 2 x_zp * w, which
   the folded bias takes back. CHW, as the package: a channel's rows are contiguous, and the
   buffer holds one channel's K rows (at most K * (out_w * S + K) int16 on the stack).
   In place: output channel c is written over input channels <= c, and of channel c only rows
   the buffer already holds (out_w <= the window's width, rows advance no faster than the input
   rows read), so the output overwrites the input with no scratch channel. */
#ifndef TM_DWCONV_TE_H
#define TM_DWCONV_TE_H
#include "simd.h"

#ifndef TE_INLINE
#define TE_INLINE static inline __attribute__((always_inline))
#endif

static inline int32_t load_pair(const int16_t *p) {  /* two int16 (LDR, unaligned allowed) */
    int32_t v;
    __builtin_memcpy(&v, p, 4);
    return v;
}

/* buffer row `dst` (n int16) := image row iy, columns c0 .. c0 + n - 1, doubled; outside the
   image 2 x_zp */
TE_INLINE void te_dw_fill(int16_t *dst, const int8_t *x, int iy, int c0, int n, const tm_geom *g,
                          int16_t pad) {
    if (iy < 0 || iy >= g->in_h) {
        TM_TRIP(dw_te_pad_row);
        for (int j = 0; j < n; j++) {
            TM_TRIP(dw_te_pad_elem);
            dst[j] = pad;
        }
        return;
    }
    TM_TRIP(dw_te_fill_row);
    const int8_t *src = x + (iy - g->win_r0) * g->win_w - g->win_c0;  /* src[ix]: image column */
    int left = c0 < 0 ? -c0 : 0, right = g->in_w - c0;
    if (left > n) left = n;
    if (right > n) right = n;
    int j = 0;
    for (; j < left; j++) {
        TM_TRIP(dw_te_pad_elem);
        dst[j] = pad;
    }
    for (; j < right; j++) {
        TM_TRIP(dw_te_fill_elem);
        dst[j] = (int16_t)(2 * src[c0 + j]);
    }
    for (; j < n; j++) {
        TM_TRIP(dw_te_pad_elem);
        dst[j] = pad;
    }
}

/* one kernel row of K taps for the outputs at r[0] and r[S] (unrolled: K and S are literals) */
#define TE_DW_ROW(r, wr)                                                                         \
    do {                                                                                         \
        _Pragma("clang loop unroll(full)")                                                       \
        for (int j = 0; j < (K + 1) / 2; j++) {                                                  \
            a0 = SMLAD(load_pair((r) + 2 * j), (wr)[j], a0);                                     \
            a1 = SMLAD(load_pair((r) + S + 2 * j), (wr)[j], a1);                                 \
        }                                                                                        \
    } while (0)

TE_INLINE void te_dwconv(const int8_t *x, int8_t *y, const tm_geom *g, const tm_quant *q,
                         const int cin, const int cout, const int32_t y_zp, const int32_t lo,
                         const int32_t hi, const int K, const int S) {
    TM_TRIP(dw_te_call);
    enum { PAIRS_MAX = 4 };  /* (K + 1) / 2 for K <= 7 */
    const int pairs = (K + 1) / 2;
    const int n = (g->out_w - 1) * S + K;  /* buffer columns an output row reads */
    const int width = n + S + 2;           /* room for the pair loads past the last tap */
    int16_t buf[K * width];
    const int16_t pad = (int16_t)(2 * q->x_zp);
    const int r0 = g->out_r0 * S - g->pad, c0 = g->out_c0 * S - g->pad;  /* image row/col of 0 */
    const int plane = g->win_h * g->win_w;
    const int32_t *w = (const int32_t *)q->weight, *ch = q->chan;
    for (int c = 0; c < cout; c++, w += K * pairs, ch += 4) {
        TM_TRIP(dw_te_channel);
        const int8_t *xc = x + c * plane;
        int8_t *yc = y + c * g->y_cstride;
        int m0 = ch[1], hz = ch[2], r = ch[3];
        int next = 0;  /* the next buffer row to fill (relative to r0) */
        for (int oy = 0; oy < g->out_h; oy++) {
            TM_TRIP(dw_te_row);
            for (; next < oy * S + K; next++)
                te_dw_fill(buf + (next % K) * width, xc, r0 + next, c0, n, g, pad);
            const int16_t *rows[7];
            for (int ky = 0; ky < K; ky++) rows[ky] = buf + ((oy * S + ky) % K) * width;
            int8_t *yr = yc + oy * g->y_rstride;
            for (int ox = 0; ox < g->out_w; ox += 2) {  /* two outputs (an odd last one twice) */
                TM_TRIP(dw_te_pair);
                int32_t a0 = ch[0], a1 = ch[0];
                _Pragma("clang loop unroll(full)")
                for (int ky = 0; ky < K; ky++) {
                    const int16_t *rk = rows[ky] + ox * S;
                    TE_DW_ROW(rk, w + ky * pairs);
                }
                int8_t v0 = te_clamp(te_requant(a0, m0, hz, r), lo, hi);
                if (ox + 1 < g->out_w) yr[ox + 1] = te_clamp(te_requant(a1, m0, hz, r), lo, hi);
                yr[ox] = v0;
            }
        }
    }
    (void)PAIRS_MAX, (void)cin;
}
#undef TE_DW_ROW

/* in place: the output overwrites the input (see above); the scratch channel is not needed */
TE_INLINE void te_dwconv_inplace(int8_t *x, int8_t *scratch, const tm_geom *g, const tm_quant *q,
                                 const int cin, const int cout, const int32_t y_zp,
                                 const int32_t lo, const int32_t hi, const int K, const int S) {
    (void)scratch;
    te_dwconv(x, x, g, q, cin, cout, y_zp, lo, hi, K, S);
}
#endif
