/* dwconv.c: depthwise convolution (any kernel size, stride, padding, window), reference and
   optimized, each also in place (the output overwrites the input channel by channel). */
#include "simd.h"

/* one channel c, reference: input plane xc (win_h, win_w) -> yc (out_h rows of y_rs) */
static void dw_channel_ref(const int8_t *xc, int8_t *yc, int32_t y_rs, int c, const tm_geom *g,
                           const tm_quant *q) {
    TM_TRIP(dw_ref_channel);
    int k = g->k;
    const int8_t *w = q->weight + c * k * k;
    for (int oy = 0; oy < g->out_h; oy++) {
        TM_TRIP(dw_ref_row);
        for (int ox = 0; ox < g->out_w; ox++) {
            TM_TRIP(dw_ref_pixel);
            int iy0 = (g->out_r0 + oy) * g->stride - g->pad;
            int ix0 = (g->out_c0 + ox) * g->stride - g->pad;
            int32_t acc = 0;
            for (int ky = 0; ky < k; ky++) {
                TM_TRIP(dw_ref_ky);
                int iy = iy0 + ky;
                if (iy < 0 || iy >= g->in_h) continue;  /* padding: x_zp, adds 0 */
                TM_TRIP(dw_ref_ky_in);
                for (int kx = 0; kx < k; kx++) {
                    TM_TRIP(dw_ref_kx);
                    int ix = ix0 + kx;
                    if (ix < 0 || ix >= g->in_w) continue;
                    TM_TRIP(dw_ref_tap);
                    int32_t xv = xc[(iy - g->win_r0) * g->win_w + (ix - g->win_c0)];
                    acc += (xv - q->x_zp) * w[ky * k + kx];
                }
            }
            acc += q->bias[c];
            yc[oy * y_rs + ox] = tm_requant(acc, q->m0[c], q->shift[c], q);
        }
    }
}

void tm_dwconv_ref(const int8_t *x, int8_t *y, const tm_geom *g, const tm_quant *q) {
    TM_TRIP(dwconv_ref_call);
    int plane = g->win_h * g->win_w;
    for (int c = 0; c < g->cout; c++)
        dw_channel_ref(x + c * plane, y + c * g->y_cstride, g->y_rstride, c, g, q);
}

void tm_dwconv_inplace_ref(int8_t *x, int8_t *scratch, const tm_geom *g, const tm_quant *q) {
    TM_TRIP(dwconv_inplace_ref_call);
    int plane = g->win_h * g->win_w, out_plane = g->out_h * g->out_w;
    for (int c = 0; c < g->cout; c++) {
        dw_channel_ref(x + c * plane, scratch, g->out_w, c, g, q);
        int8_t *dst = x + c * out_plane;  /* inside channels 0..c, all consumed */
        for (int i = 0; i < out_plane; i++) {
            TM_TRIP(dw_inplace_ref_byte);
            dst[i] = scratch[i];
        }
    }
}

/* one channel, optimized: interior pixels of a 3x3 run 9 unrolled taps with the zero point folded
   into the bias; border pixels (and other kernel sizes) skip padding taps one by one */
static void dw_channel_opt(const int8_t *xc, int8_t *yc, int32_t y_rs, int c, const tm_geom *g,
                           const tm_quant *q) {
    TM_TRIP(dw_opt_channel);
    int k = g->k, s = g->stride, ww = g->win_w;
    const int8_t *w = q->weight + c * k * k;
    int32_t base = q->bias[c] - q->x_zp * q->wsum[c];  /* bias with the zero point folded in */
    for (int oy = 0; oy < g->out_h; oy++) {
        TM_TRIP(dw_opt_row);
        int iy0 = (g->out_r0 + oy) * s - g->pad;
        int rows_inside = iy0 >= 0 && iy0 + k <= g->in_h;
        for (int ox = 0; ox < g->out_w; ox++) {
            TM_TRIP(dw_opt_pixel);
            int ix0 = (g->out_c0 + ox) * s - g->pad;
            int32_t acc;
            if (k == 3 && rows_inside && ix0 >= 0 && ix0 + 3 <= g->in_w) {
                TM_TRIP(dw_opt_interior);
                const int8_t *p = xc + (iy0 - g->win_r0) * ww + (ix0 - g->win_c0);
                acc = base + p[0] * w[0] + p[1] * w[1] + p[2] * w[2];
                p += ww;
                acc += p[0] * w[3] + p[1] * w[4] + p[2] * w[5];
                p += ww;
                acc += p[0] * w[6] + p[1] * w[7] + p[2] * w[8];
            } else {  /* a border pixel: padding taps are skipped, zero point subtracted per tap */
                TM_TRIP(dw_opt_border);
                acc = q->bias[c];
                for (int ky = 0; ky < k; ky++) {
                    TM_TRIP(dw_opt_ky);
                    int iy = iy0 + ky;
                    if (iy < 0 || iy >= g->in_h) continue;
                    TM_TRIP(dw_opt_ky_in);
                    for (int kx = 0; kx < k; kx++) {
                        TM_TRIP(dw_opt_kx);
                        int ix = ix0 + kx;
                        if (ix < 0 || ix >= g->in_w) continue;
                        TM_TRIP(dw_opt_tap);
                        acc += (xc[(iy - g->win_r0) * ww + (ix - g->win_c0)] - q->x_zp) * w[ky * k + kx];
                    }
                }
            }
            yc[oy * y_rs + ox] = requant(acc, q->m0[c], q->shift[c], q);
        }
    }
}

void tm_dwconv_opt(const int8_t *x, int8_t *y, const tm_geom *g, const tm_quant *q) {
    TM_TRIP(dwconv_opt_call);
    int plane = g->win_h * g->win_w;
    for (int c = 0; c < g->cout; c++)
        dw_channel_opt(x + c * plane, y + c * g->y_cstride, g->y_rstride, c, g, q);
}

void tm_dwconv_inplace_opt(int8_t *x, int8_t *scratch, const tm_geom *g, const tm_quant *q) {
    TM_TRIP(dwconv_inplace_opt_call);
    int plane = g->win_h * g->win_w, out_plane = g->out_h * g->out_w;
    for (int c = 0; c < g->cout; c++) {
        dw_channel_opt(x + c * plane, scratch, g->out_w, c, g, q);
        int8_t *dst = x + c * out_plane;
        int i = 0;
        for (; i + 4 <= out_plane; i += 4) {  /* word copies where the plane allows */
            TM_TRIP(dw_inplace_opt_word);
            int32_t v = load32(scratch + i);
            __builtin_memcpy(dst + i, &v, 4);
        }
        for (; i < out_plane; i++) {
            TM_TRIP(dw_inplace_opt_byte);
            dst[i] = scratch[i];
        }
    }
}

/* cmsis: the padded-row SMLAD depthwise of dwconv_te.h with the kernel size and stride read at run
   time: one generic loop nest (the tinyengine tier has one per kernel size and stride) */
#include "dwconv_te.h"
void tm_dwconv_cmsis(const int8_t *x, int8_t *y, const tm_geom *g, const tm_quant *q) {
    te_dwconv(x, y, g, q, g->cin, g->cout, q->y_zp, q->act_min, q->act_max, g->k, g->stride);
}

void tm_dwconv_inplace_cmsis(int8_t *x, int8_t *scratch, const tm_geom *g, const tm_quant *q) {
    te_dwconv_inplace(x, scratch, g, q, g->cin, g->cout, q->y_zp, q->act_min, q->act_max, g->k,
                      g->stride);
}
