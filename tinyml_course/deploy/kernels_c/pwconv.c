/* pwconv.c: 1x1 convolution (and fully connected: a 1x1 on a 1x1 image), reference and optimized. */
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

/* the tinyengine tier of this kind: pwconv_te.h (instantiated per op by the code generator) */
