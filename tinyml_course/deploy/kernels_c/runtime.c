/* runtime.c: what a freestanding program needs besides the kernels (no C library). */
#include <stddef.h>
#include "tinyml.h"

volatile int32_t tm_current_layer;  /* written by tm_layer, so the call is never optimised away */

__attribute__((noinline)) void tm_layer(int32_t layer) {
    tm_current_layer = layer;
    TM_TRIP(mark_call);
}

/* clang may turn loops into calls to these, and -nostdlib provides none */
void *memcpy(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--) *d++ = *s++;
    return dst;
}

/* the arena's compaction moves (generated code calls it) */
void *memmove(void *dst, const void *src, size_t n) {
    TM_TRIP(move_call);
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s) {
        while (n--) {
            TM_TRIP(move_byte);
            *d++ = *s++;
        }
    } else {
        while (n--) {
            TM_TRIP(move_byte);
            d[n] = s[n];
        }
    }
    return dst;
}

void *memset(void *dst, int value, size_t n) {
    unsigned char *d = dst;
    while (n--) *d++ = (unsigned char)value;
    return dst;
}
