/* tinyml.h: the int8 kernels and runtime of the generated C (tinyml_course.deploy).

   Tensors are int8, layout (C, H, W), channel-major, as in the Python package. Arithmetic is
   TFLite's integer-only scheme (runtime/int8.py): int32 accumulation of (x - x_zp) * w + bias,
   requantization by a Q31 mantissa m0 and a power-of-two shift (gemmlowp rounding), clamp to
   [act_min, act_max]. Every kernel is bit-exact with the package's numpy kernels.

   Windows (patch-based inference): a kernel computes the output rows [out_r0, out_r0 + out_h)
   and columns [out_c0, out_c0 + out_w) of the FULL op, reading an input buffer that holds rows
   [win_r0, win_r0 + win_h) and columns [win_c0, win_c0 + win_w) of the full input (channel
   stride win_h * win_w). Pixels outside the full input are the zero point (padding). Per-layer
   inference is the special case "window = whole tensor".

   Kernels, one file per kind, each tier beside its reference: conv.c, dwconv.c, pwconv.c,
   elementwise.c (add, average pool, copy); requant.c (TFLite requantization); runtime.c.

   TM_TRIP(name) marks a counted block (a loop body or a branch): the latency model
   (tinyml_course/deploy/kernels.py) predicts how often each one runs from the shapes alone. A
   build with -DTM_COUNT_TRIPS counts them, per layer, so a test can check the two agree; in a
   normal build the mark is nothing. */
#ifndef TINYML_H
#define TINYML_H
#include <stdint.h>

#ifdef TM_COUNT_TRIPS
#include "tm_trips.h"  /* generated: TM_TRIPS and one TM_TRIP_<name> index per counted block */
extern int32_t tm_trips[];
extern volatile int32_t tm_current_layer;
#define TM_TRIP(name) (tm_trips[tm_current_layer * TM_TRIPS + TM_TRIP_##name]++)
#else
#define TM_TRIP(name) ((void)0)
#endif

/* BEGIN GENERATED STRUCTS (tinyml_course/deploy/structs.py): do not edit */

typedef struct {
    int16_t cin, in_h, in_w;            /* the full input tensor (C, H, W) */
    int16_t win_r0, win_c0, win_h, win_w; /* the window of it held in the input buffer */
    int16_t cout, k, stride, pad;       /* kernel size (rows), stride, padding (above; square: all sides) */
    int16_t out_r0, out_c0, out_h, out_w; /* the region of the full output computed */
    int32_t y_cstride, y_rstride;       /* output layout in elements (channel, row) */
    int16_t kw, pad_l;                  /* a full conv's kernel columns and left padding; square: k and pad */
} tm_geom;

typedef struct {
    const int8_t *weight;               /* conv (Cout, Cin, k, k); dwconv (C, k, k); pwconv (Cout, Cin); tinyengine: as its kernel reads them */
    const int32_t *bias;                /* (Cout,) int32 */
    const int32_t *m0;                  /* (Cout,) Q31 mantissas */
    const int32_t *shift;               /* (Cout,) power-of-two exponents */
    const int32_t *wsum;                /* (Cout,) sum of each output channel's weights (the depthwise fallback, dwconv.c) */
    const int32_t *chan;                /* (Cout, 4) tinyengine: {bias - x_zp * sum(w), m0, 2^(r-1), r = -shift}; else 0 */
    int32_t x_zp, y_zp, act_min, act_max;
} tm_quant;

typedef struct {  /* residual add: multipliers of add_multipliers() */
    int32_t a_zp, a_m0, a_shift, b_zp, b_m0, b_shift, out_m0, out_shift, y_zp, act_min, act_max;
} tm_addq;

/* END GENERATED STRUCTS */

int32_t tm_mbqm(int32_t x, int32_t m0, int32_t shift);
int8_t tm_requant(int32_t acc, int32_t m0, int32_t shift, const tm_quant *q);

/* reference kernels (plain loops, any kernel size and stride) */
void tm_conv_ref(const int8_t *x, int8_t *y, const tm_geom *g, const tm_quant *q);
void tm_dwconv_ref(const int8_t *x, int8_t *y, const tm_geom *g, const tm_quant *q);
void tm_pwconv_ref(const int8_t *x, int8_t *y, const tm_geom *g, const tm_quant *q);
/* in-place depthwise: x (C, win_h, win_w) becomes (C, out_h, out_w); scratch holds one channel */
void tm_dwconv_inplace_ref(int8_t *x, int8_t *scratch, const tm_geom *g, const tm_quant *q);
/* depthwise, 3x3 interior unrolled: the fallback of the cmsis and tinyengine tiers for kernel
   sizes they do not specialise (kernels.FALLBACK) */
void tm_dwconv_opt(const int8_t *x, int8_t *y, const tm_geom *g, const tm_quant *q);
void tm_dwconv_inplace_opt(int8_t *x, int8_t *scratch, const tm_geom *g, const tm_quant *q);
/* cmsis tier: the tinyengine bodies (<kind>_te.h) with every constant read at run time */
void tm_conv_cmsis(const int8_t *x, int8_t *y, const tm_geom *g, const tm_quant *q);
void tm_pwconv_cmsis(const int8_t *x, int8_t *y, const tm_geom *g, const tm_quant *q);
void tm_dwconv_cmsis(const int8_t *x, int8_t *y, const tm_geom *g, const tm_quant *q);
void tm_dwconv_inplace_cmsis(int8_t *x, int8_t *scratch, const tm_geom *g, const tm_quant *q);
/* the tinyengine tier: <kind>_te.h, inline bodies the code generator instantiates per op */

/* elementwise add of (c, h, w) regions; a/b/y point at the region's first pixel, *_rs are row
   strides and *_cs channel strides in elements */
void tm_add(const int8_t *a, int32_t a_cs, int32_t a_rs, const int8_t *b, int32_t b_cs,
            int32_t b_rs, int8_t *y, int32_t y_cs, int32_t y_rs, int c, int h, int w,
            const tm_addq *q);
/* global average pool (C, H, W) -> (C,) (TFLite's rounding) */
void tm_avgpool(const int8_t *x, int8_t *y, int c, int h, int w);
/* copy a (c, h, w) region between buffers of the given strides */
void tm_copy(const int8_t *src, int32_t s_cs, int32_t s_rs, int8_t *dst, int32_t d_cs,
             int32_t d_rs, int c, int h, int w);
/* marks the start of step `layer` (the emulator hooks its address to count per layer) */
void tm_layer(int32_t layer);
#endif
