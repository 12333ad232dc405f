/* pwconv.c: 1x1 convolution (and fully connected: a 1x1 on a 1x1 image), reference and cmsis (tinyengine: pwconv_te.h). */
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

/* cmsis: CMSIS-NN's generic 1x1 (arm_nn_mat_mult_kernel_s8_s16: 2 output channels x 2 pixels,
   int16 operands, SMLAD), the body of pwconv_te.h called with the op's constants at run time:
   not specialised per shape. The tinyengine tier instantiates the same body per op with its
   constants as literals (codegen.te_instance). */
#include "pwconv_te.h"
void tm_pwconv_cmsis(const int8_t *x, int8_t *y, const tm_geom *g, const tm_quant *q) {
    te_pwconv(x, y, g, q, g->cin, g->cout, q->y_zp, q->act_min, q->act_max);
}
