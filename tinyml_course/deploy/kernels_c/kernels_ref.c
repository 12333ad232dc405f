/* kernels_ref.c: reference int8 kernels, plain loops (any kernel size, stride, padding).
   Bit-exact with tinyml_course/runtime/int8.py; see tinyml.h for the window convention. */
#include "tinyml.h"

void tm_conv_ref(const int8_t *x, int8_t *y, const tm_geom *g, const tm_quant *q) {
    int k = g->k, plane = g->win_h * g->win_w;
    for (int co = 0; co < g->cout; co++) {
        for (int oy = 0; oy < g->out_h; oy++) {
            for (int ox = 0; ox < g->out_w; ox++) {
                int iy0 = (g->out_r0 + oy) * g->stride - g->pad;
                int ix0 = (g->out_c0 + ox) * g->stride - g->pad;
                int32_t acc = 0;
                for (int ci = 0; ci < g->cin; ci++) {
                    for (int ky = 0; ky < k; ky++) {
                        int iy = iy0 + ky;
                        if (iy < 0 || iy >= g->in_h) continue;  /* padding: x_zp, adds 0 */
                        for (int kx = 0; kx < k; kx++) {
                            int ix = ix0 + kx;
                            if (ix < 0 || ix >= g->in_w) continue;
                            int32_t xv = x[ci * plane + (iy - g->win_r0) * g->win_w + (ix - g->win_c0)];
                            acc += (xv - q->x_zp) * q->weight[((co * g->cin + ci) * k + ky) * k + kx];
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

/* one channel c of a depthwise conv: input plane xc (win_h, win_w) -> yc (out_h rows of y_rs) */
static void dw_channel_ref(const int8_t *xc, int8_t *yc, int32_t y_rs, int c, const tm_geom *g,
                           const tm_quant *q) {
    int k = g->k;
    const int8_t *w = q->weight + c * k * k;
    for (int oy = 0; oy < g->out_h; oy++) {
        for (int ox = 0; ox < g->out_w; ox++) {
            int iy0 = (g->out_r0 + oy) * g->stride - g->pad;
            int ix0 = (g->out_c0 + ox) * g->stride - g->pad;
            int32_t acc = 0;
            for (int ky = 0; ky < k; ky++) {
                int iy = iy0 + ky;
                if (iy < 0 || iy >= g->in_h) continue;
                for (int kx = 0; kx < k; kx++) {
                    int ix = ix0 + kx;
                    if (ix < 0 || ix >= g->in_w) continue;
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
    int plane = g->win_h * g->win_w;
    for (int c = 0; c < g->cout; c++)
        dw_channel_ref(x + c * plane, y + c * g->y_cstride, g->y_rstride, c, g, q);
}

void tm_dwconv_inplace_ref(int8_t *x, int8_t *scratch, const tm_geom *g, const tm_quant *q) {
    int plane = g->win_h * g->win_w, out_plane = g->out_h * g->out_w;
    for (int c = 0; c < g->cout; c++) {
        dw_channel_ref(x + c * plane, scratch, g->out_w, c, g, q);
        int8_t *dst = x + c * out_plane;  /* inside channels 0..c, all consumed */
        for (int i = 0; i < out_plane; i++) dst[i] = scratch[i];
    }
}

void tm_pwconv_ref(const int8_t *x, int8_t *y, const tm_geom *g, const tm_quant *q) {
    int plane = g->win_h * g->win_w;
    for (int co = 0; co < g->cout; co++) {
        for (int oy = 0; oy < g->out_h; oy++) {
            for (int ox = 0; ox < g->out_w; ox++) {
                const int8_t *xp = x + (g->out_r0 + oy - g->win_r0) * g->win_w + (g->out_c0 + ox - g->win_c0);
                int32_t acc = 0;
                for (int ci = 0; ci < g->cin; ci++)
                    acc += (xp[ci * plane] - q->x_zp) * q->weight[co * g->cin + ci];
                acc += q->bias[co];
                y[co * g->y_cstride + oy * g->y_rstride + ox] =
                    tm_requant(acc, q->m0[co], q->shift[co], q);
            }
        }
    }
}

void tm_add(const int8_t *a, int32_t a_cs, int32_t a_rs, const int8_t *b, int32_t b_cs,
            int32_t b_rs, int8_t *y, int32_t y_cs, int32_t y_rs, int c, int h, int w,
            const tm_addq *q) {
    for (int ch = 0; ch < c; ch++) {
        for (int r = 0; r < h; r++) {
            for (int col = 0; col < w; col++) {
                int32_t av = a[ch * a_cs + r * a_rs + col] - q->a_zp;
                int32_t bv = b[ch * b_cs + r * b_rs + col] - q->b_zp;
                int32_t sa = tm_mbqm(av * (1 << 20), q->a_m0, q->a_shift);  /* 20 extra bits */
                int32_t sb = tm_mbqm(bv * (1 << 20), q->b_m0, q->b_shift);
                int64_t v = (int64_t)tm_mbqm((int32_t)((uint32_t)sa + (uint32_t)sb), q->out_m0,
                                             q->out_shift) + q->y_zp;
                if (v < q->act_min) v = q->act_min;
                if (v > q->act_max) v = q->act_max;
                y[ch * y_cs + r * y_rs + col] = (int8_t)v;
            }
        }
    }
}

void tm_avgpool(const int8_t *x, int8_t *y, int c, int h, int w) {
    int32_t count = h * w, half = count / 2;
    for (int ch = 0; ch < c; ch++) {
        int32_t total = 0;
        for (int i = 0; i < count; i++) total += x[ch * count + i];
        int32_t v = total >= 0 ? (total + half) / count : -((-total + half) / count);
        y[ch] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
    }
}

void tm_copy(const int8_t *src, int32_t s_cs, int32_t s_rs, int8_t *dst, int32_t d_cs,
             int32_t d_rs, int c, int h, int w) {
    for (int ch = 0; ch < c; ch++)
        for (int r = 0; r < h; r++)
            for (int col = 0; col < w; col++)
                dst[ch * d_cs + r * d_rs + col] = src[ch * s_cs + r * s_rs + col];
}
