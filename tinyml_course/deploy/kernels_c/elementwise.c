/* elementwise.c: residual add, global average pool and region copy (every tier uses these). */
#include "tinyml.h"

void tm_add(const int8_t *a, int32_t a_cs, int32_t a_rs, const int8_t *b, int32_t b_cs,
            int32_t b_rs, int8_t *y, int32_t y_cs, int32_t y_rs, int c, int h, int w,
            const tm_addq *q) {
    TM_TRIP(add_call);
    for (int ch = 0; ch < c; ch++) {
        TM_TRIP(add_channel);
        for (int r = 0; r < h; r++) {
            TM_TRIP(add_row);
            for (int col = 0; col < w; col++) {
                TM_TRIP(add_element);
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
    TM_TRIP(pool_call);
    int32_t count = h * w, half = count / 2;
    for (int ch = 0; ch < c; ch++) {
        TM_TRIP(pool_channel);
        int32_t total = 0;
        for (int i = 0; i < count; i++) {
            TM_TRIP(pool_element);
            total += x[ch * count + i];
        }
        int32_t v = total >= 0 ? (total + half) / count : -((-total + half) / count);
        y[ch] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
    }
}

void tm_copy(const int8_t *src, int32_t s_cs, int32_t s_rs, int8_t *dst, int32_t d_cs,
             int32_t d_rs, int c, int h, int w) {
    TM_TRIP(copy_call);
    for (int ch = 0; ch < c; ch++) {
        TM_TRIP(copy_channel);
        for (int r = 0; r < h; r++) {
            TM_TRIP(copy_row);
            for (int col = 0; col < w; col++) {
                TM_TRIP(copy_element);
                dst[ch * d_cs + r * d_rs + col] = src[ch * s_cs + r * s_rs + col];
            }
        }
    }
}
