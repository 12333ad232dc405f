/* conv.c: full convolution (any kernel size, stride, padding, window), reference and optimized. */
#include "simd.h"

/* reference: plain loops over a k x kw kernel (rows x columns: square, or MLPerf KWS's 10x4),
   padding pad above and pad_l on the left; padding taps are skipped (a padded pixel is x_zp and
   adds 0), which also makes the padding below and on the right */
void tm_conv_ref(const int8_t *x, int8_t *y, const tm_geom *g, const tm_quant *q) {
    TM_TRIP(conv_ref_call);
    int kh = g->k, kw = g->kw, plane = g->win_h * g->win_w;
    for (int co = 0; co < g->cout; co++) {
        TM_TRIP(conv_ref_channel);
        for (int oy = 0; oy < g->out_h; oy++) {
            TM_TRIP(conv_ref_row);
            for (int ox = 0; ox < g->out_w; ox++) {
                TM_TRIP(conv_ref_pixel);
                int iy0 = (g->out_r0 + oy) * g->stride - g->pad;
                int ix0 = (g->out_c0 + ox) * g->stride - g->pad_l;
                int32_t acc = 0;
                for (int ci = 0; ci < g->cin; ci++) {
                    TM_TRIP(conv_ref_cin);
                    for (int ky = 0; ky < kh; ky++) {
                        TM_TRIP(conv_ref_ky);
                        int iy = iy0 + ky;
                        if (iy < 0 || iy >= g->in_h) continue;  /* padding: x_zp, adds 0 */
                        TM_TRIP(conv_ref_ky_in);
                        for (int kx = 0; kx < kw; kx++) {
                            TM_TRIP(conv_ref_kx);
                            int ix = ix0 + kx;
                            if (ix < 0 || ix >= g->in_w) continue;
                            TM_TRIP(conv_ref_tap);
                            int32_t xv = x[ci * plane + (iy - g->win_r0) * g->win_w + (ix - g->win_c0)];
                            acc += (xv - q->x_zp) * q->weight[((co * g->cin + ci) * kh + ky) * kw + kx];
                        }
                    }
                }
                acc += q->bias[co];
                y[co * g->y_cstride + oy * g->y_rstride + ox] =
                    tm_requant(acc, q->m0[co], q->shift[co], q);
            }
        }
    }
}

/* the accumulator of output (co, oy, ox) of a full conv, plain loops (a border pixel) */
static int32_t conv_acc_border(const int8_t *x, int co, int oy, int ox, const tm_geom *g,
                               const tm_quant *q) {
    int k = g->k, plane = g->win_h * g->win_w;
    int iy0 = (g->out_r0 + oy) * g->stride - g->pad, ix0 = (g->out_c0 + ox) * g->stride - g->pad;
    int32_t acc = q->bias[co];
    for (int ci = 0; ci < g->cin; ci++) {
        TM_TRIP(conv_opt_border_cin);
        for (int ky = 0; ky < k; ky++) {
            TM_TRIP(conv_opt_border_ky);
            int iy = iy0 + ky;
            if (iy < 0 || iy >= g->in_h) continue;
            TM_TRIP(conv_opt_border_ky_in);
            for (int kx = 0; kx < k; kx++) {
                TM_TRIP(conv_opt_border_kx);
                int ix = ix0 + kx;
                if (ix < 0 || ix >= g->in_w) continue;
                TM_TRIP(conv_opt_border_tap);
                int32_t xv = x[ci * plane + (iy - g->win_r0) * g->win_w + (ix - g->win_c0)];
                acc += (xv - q->x_zp) * q->weight[((co * g->cin + ci) * k + ky) * k + kx];
            }
        }
    }
    return acc;
}

/* optimized, 3x3 specialised: interior pixels run 9 unrolled taps per input channel with the zero
   point folded into the bias (sum (x - x_zp) w = sum x w - x_zp sum w, sum w offline in q->wsum);
   border pixels use the plain loops; other kernel sizes are the reference kernel */
void tm_conv_opt(const int8_t *x, int8_t *y, const tm_geom *g, const tm_quant *q) {
    TM_TRIP(conv_opt_call);
    if (g->k != 3) {
        tm_conv_ref(x, y, g, q);
        return;
    }
    int s = g->stride, ww = g->win_w, plane = g->win_h * ww, cin = g->cin;
    for (int co = 0; co < g->cout; co++) {
        TM_TRIP(conv_opt_channel);
        const int8_t *wc = q->weight + co * cin * 9;
        int32_t base = q->bias[co] - q->x_zp * q->wsum[co];
        for (int oy = 0; oy < g->out_h; oy++) {
            TM_TRIP(conv_opt_row);
            int iy0 = (g->out_r0 + oy) * s - g->pad;
            int rows_inside = iy0 >= 0 && iy0 + 3 <= g->in_h;
            for (int ox = 0; ox < g->out_w; ox++) {
                TM_TRIP(conv_opt_pixel);
                int ix0 = (g->out_c0 + ox) * s - g->pad;
                int32_t acc;
                if (rows_inside && ix0 >= 0 && ix0 + 3 <= g->in_w) {
                    TM_TRIP(conv_opt_interior);
                    const int8_t *p = x + (iy0 - g->win_r0) * ww + (ix0 - g->win_c0);
                    acc = base;
                    for (int ci = 0; ci < cin; ci++, p += plane) {
                        TM_TRIP(conv_opt_interior_cin);
                        const int8_t *w = wc + ci * 9;
                        acc += p[0] * w[0] + p[1] * w[1] + p[2] * w[2]
                             + p[ww] * w[3] + p[ww + 1] * w[4] + p[ww + 2] * w[5]
                             + p[2 * ww] * w[6] + p[2 * ww + 1] * w[7] + p[2 * ww + 2] * w[8];
                    }
                } else {
                    TM_TRIP(conv_opt_border);
                    acc = conv_acc_border(x, co, oy, ox, g, q);
                }
                y[co * g->y_cstride + oy * g->y_rstride + ox] = requant(acc, q->m0[co], q->shift[co], q);
            }
        }
    }
}

/* cmsis: im2col to int16 and the 1x1's 2x2 SMLAD micro-kernel (conv_te.h), generic: kernel size
   (k x kw), stride and constants read at run time (the tinyengine tier bakes them in per op) */
#include "conv_te.h"
void tm_conv_cmsis(const int8_t *x, int8_t *y, const tm_geom *g, const tm_quant *q) {
    te_conv(x, y, g, q, g->cin, g->cout, q->y_zp, q->act_min, q->act_max, g->k, g->kw, g->stride);
}
