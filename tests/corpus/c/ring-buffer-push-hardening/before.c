/*
 * ring_buffer.c - byte ring buffer used by the UART receive interrupt.
 */
#include "ring_buffer.h"

void rb_init(ring_buffer_t *rb)
{
    rb->head = 0;
    rb->tail = 0;
    rb->count = 0;
}

/* Empties the buffer and scrubs the old contents. */
void rb_clear(ring_buffer_t *rb)
{
    size_t i;

    for (i = 0; i < RB_CAPACITY; i++)
        rb->data[i] = 0;
    rb->head = 0;
    rb->tail = 0;
    rb->count = 0;
}

int rb_push(ring_buffer_t *rb, uint8_t byte)
{
    if (rb->count == RB_CAPACITY) {
        return -1;
    }
    rb->data[rb->head] = byte;
    rb->head = (rb->head + 1) % RB_CAPACITY;
    rb->count++;
    return 0;
}

int rb_pop(ring_buffer_t *rb, uint8_t *out)
{
    if (rb->count == 0) {
        return RB_ERR_EMPTY;
    }
    *out = rb->data[rb->tail];
    rb->tail = (rb->tail + 1) % RB_CAPACITY;
    rb->count--;
    return RB_OK;
}

size_t rb_read(ring_buffer_t *rb, uint8_t *dst, size_t len)
{
    size_t n = 0;

    while (n < len && rb->count > 0) {
        dst[n] = rb->data[rb->tail];
        rb->tail = (rb->tail + 1) % RB_CAPACITY;
        rb->count--;
        n++;
    }
    return n;
}
