/* conv.c: full convolution (any kernel size, stride, padding, window), reference and cmsis (tinyengine: conv_te.h). */
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

/* cmsis: im2col to int16 and the 1x1's 2x2 SMLAD micro-kernel (conv_te.h), generic: kernel size
   (k x kw), stride and constants read at run time (the tinyengine tier bakes them in per op) */
#include "conv_te.h"
void tm_conv_cmsis(const int8_t *x, int8_t *y, const tm_geom *g, const tm_quant *q) {
    te_conv(x, y, g, q, g->cin, g->cout, q->y_zp, q->act_min, q->act_max, g->k, g->kw, g->stride);
}
