/* block_counter.c: the emulator's block hook, in C for the HOST (not the Cortex-M).

   unicorn calls tm_count_block at the start of every translated block it executes. A Python
   callback costs about a microsecond per block; this one costs a hash-table update. It
   - switches the current label when the block is tm_layer's (the label is its argument, r0);
   - counts executions of each (label, block address, block size) in an open-addressing table;
   - decodes a block's Thumb instruction lengths the first time it is seen (from the program's
     Flash image) and adds its instructions to the total, stopping the run when the total
     passes the budget (the emulator's endless-loop guard).
   The Python side (block_counter.py) reads the table after the run and classifies every distinct
   block once. */
#include <stdint.h>

typedef struct {
    uint64_t mark;         /* address of tm_layer: its block reads the new label from r0 */
    uint64_t code_base;    /* address of code[0] */
    const uint8_t *code;   /* the program's Flash image (read-only, never changes) */
    uint64_t code_size;    /* bytes */
    int (*reg_read)(void *uc, int regid, void *value);  /* unicorn's uc_reg_read */
    int (*emu_stop)(void *uc);                          /* unicorn's uc_emu_stop */
    int32_t r0;            /* unicorn's register id of r0 */
    int32_t label;         /* the current label */
    uint64_t budget;       /* instructions; the run stops when executed passes it */
    uint64_t executed;     /* instructions executed so far */
    uint64_t *keys;        /* (capacity,) label << 48 | size << 32 | address, plus 1; 0 = empty */
    uint64_t *counts;      /* (capacity,) executions of that block under that label */
    uint32_t *ninstr;      /* (capacity,) instructions in that block */
    uint64_t capacity;     /* a power of two */
    uint64_t used;         /* entries taken */
    int32_t full;          /* the table ran over 3/4 full: the run was stopped, counts incomplete */
    int32_t exhausted;     /* the budget ran out: the run was stopped */
} tm_counter;

/* instructions in the Thumb code [address, address + size): a halfword whose top five bits are
   0b11101, 0b11110 or 0b11111 starts a 32-bit instruction, any other a 16-bit one */
static uint32_t thumb_instructions(const tm_counter *s, uint64_t address, uint32_t size) {
    uint32_t n = 0;
    uint64_t i = address - s->code_base, end = i + size;
    if (address < s->code_base || end > s->code_size) return size / 2;  /* not in Flash */
    while (i + 1 < end) {
        uint32_t top = s->code[i + 1] >> 3;
        i += (top == 0x1d || top == 0x1e || top == 0x1f) ? 4 : 2;
        n++;
    }
    return n;
}

void tm_count_block(void *uc, uint64_t address, uint32_t size, void *user) {
    tm_counter *s = (tm_counter *)user;
    if (address == s->mark) {
        int32_t r0 = 0;
        s->reg_read(uc, s->r0, &r0);
        s->label = r0;
    }
    uint64_t key = (((uint64_t)(uint16_t)s->label << 48) | ((uint64_t)(size & 0xffff) << 32) |
                    (address & 0xffffffffu)) + 1;
    uint64_t mask = s->capacity - 1;
    uint64_t slot = (key * 0x9E3779B97F4A7C15ull) >> 20 & mask;
    while (s->keys[slot] != key) {
        if (s->keys[slot] == 0) {  /* first execution of this block under this label */
            if (4 * (s->used + 1) > 3 * s->capacity) {
                s->full = 1;
                s->emu_stop(uc);
                return;
            }
            s->keys[slot] = key;
            s->ninstr[slot] = thumb_instructions(s, address, size);
            s->used++;
            break;
        }
        slot = (slot + 1) & mask;
    }
    s->counts[slot]++;
    s->executed += s->ninstr[slot];
    if (s->executed > s->budget && !s->exhausted) {
        s->exhausted = 1;
        s->emu_stop(uc);
    }
}
