/* conv_te.h: the tinyengine tier's full convolution (the 3x3 stride-2 stem; MLPerf KWS's 10x4
   stride-2 stem too), beside conv.c's reference: im2col, then the 1x1's micro-kernel. For each
   pair of output pixels the code writes their KH x KW x Cin input patches, doubled and the
   padding as 2 x_zp, into the column buffer (pwconv_te.h's interleaved int16 layout) and runs
   te_channels over it: a KH x KW conv is a 1x1 with Cin * KH * KW input channels. The weights
   are laid out as the 1x1's (layouts.py: (Cout, Cin * KH * KW) in [w0, w2, w1, w3] groups), the
   bias folded (a padded tap adds 2 x_zp * w, which the folded bias takes back). The code
   generator instantiates te_conv per op with KH, KW and S as literals; the padding (g->pad
   above, g->pad_l on the left; below and right by the bounds) is read at run time. */
#ifndef TM_CONV_TE_H
#define TM_CONV_TE_H
#include "pwconv_te.h"

/* the patch of output pixel (oy, ox) of the full op: e[(ci * KH + ky) * KW + kx], doubled */
TE_INLINE void te_conv_patch(int16_t *e, const int8_t *x, int oy, int ox, const tm_geom *g,
                             int16_t pad, const int cin, const int KH, const int KW, const int S) {
    const int plane = g->win_h * g->win_w;
    const int iy0 = oy * S - g->pad, ix0 = ox * S - g->pad_l;
    for (int ci = 0; ci < cin; ci++) {
        TM_TRIP(conv_te_cin);
        const int8_t *xc = x + ci * plane - g->win_r0 * g->win_w - g->win_c0;
        for (int ky = 0; ky < KH; ky++, e += KW) {
            int iy = iy0 + ky;
            if (iy < 0 || iy >= g->in_h) {
                TM_TRIP(conv_te_row_pad);
                for (int kx = 0; kx < KW; kx++) e[kx] = pad;
                continue;
            }
            TM_TRIP(conv_te_row_in);
            const int8_t *row = xc + iy * g->win_w;
            for (int kx = 0; kx < KW; kx++) {
                TM_TRIP(conv_te_tap);
                int ix = ix0 + kx;
                e[kx] = ix < 0 || ix >= g->in_w ? pad : (int16_t)(2 * row[ix]);
            }
        }
    }
}

TE_INLINE void te_conv(const int8_t *x, int8_t *y, const tm_geom *g, const tm_quant *q,
                       const int cin, const int cout, const int32_t y_zp, const int32_t lo,
                       const int32_t hi, const int KH, const int KW, const int S) {
    TM_TRIP(conv_te_call);
    const int n = cin * KH * KW, groups = (n + 3) >> 2;
    int16_t e0[4 * groups], e1[4 * groups];  /* the two patches; the padding to 4 stays 0 */
    int32_t col[4 * groups];
    for (int i = n; i < 4 * groups; i++) e0[i] = e1[i] = 0;
    const int16_t pad = (int16_t)(2 * q->x_zp);
    const int pixels = g->out_h * g->out_w;
    int oy = 0, ox = 0;  /* region coordinates of pixel p */
    for (int p = 0; p < pixels; p += 2) {  /* two pixels (an odd last one twice) */
        TM_TRIP(conv_te_pixels);
        int oy1 = ox + 1 < g->out_w ? oy : oy + 1, ox1 = ox + 1 < g->out_w ? ox + 1 : 0;
        if (p + 1 == pixels) oy1 = oy, ox1 = ox;
        te_conv_patch(e0, x, g->out_r0 + oy, g->out_c0 + ox, g, pad, cin, KH, KW, S);
        te_conv_patch(e1, x, g->out_r0 + oy1, g->out_c0 + ox1, g, pad, cin, KH, KW, S);
        for (int j = 0; j < groups; j++) {  /* interleave as te_mac_2x2 reads them */
            TM_TRIP(conv_te_pack);
            col[4 * j + 0] = pack16(e0[4 * j], e0[4 * j + 1]);
            col[4 * j + 1] = pack16(e1[4 * j], e1[4 * j + 1]);
            col[4 * j + 2] = pack16(e0[4 * j + 2], e0[4 * j + 3]);
            col[4 * j + 3] = pack16(e1[4 * j + 2], e1[4 * j + 3]);
        }
        te_channels(col, y + oy * g->y_rstride + ox, y + oy1 * g->y_rstride + ox1,
                    g->y_cstride, q, n, cout, y_zp, lo, hi);
        oy = ox1 + 1 < g->out_w ? oy1 : oy1 + 1;
        ox = ox1 + 1 < g->out_w ? ox1 + 1 : 0;
    }
}
#endif
