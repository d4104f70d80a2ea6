/*
 * ring_buffer.h - fixed-size byte ring buffer shared by the UART and USB drivers.
 *
 * Single producer, single consumer; callers serialise access themselves.
 */
#ifndef TIDE_RING_BUFFER_H
#define TIDE_RING_BUFFER_H

#include <stddef.h>
#include <stdint.h>

/* Capacity in bytes; must be a power of two. */
#define RB_CAPACITY 256
#define RB_MASK (RB_CAPACITY - 1)

#define RB_OK 0
#define RB_ERR_FULL (-1)
#define RB_ERR_EMPTY (-2)

typedef struct {
    uint8_t data[RB_CAPACITY];
    size_t head;
    size_t tail;
    size_t count;
} ring_buffer_t;

void rb_init(ring_buffer_t *rb);
int rb_push(ring_buffer_t *rb, uint8_t byte);
int rb_pop(ring_buffer_t *rb, uint8_t *out);
size_t rb_read(ring_buffer_t *rb, uint8_t *dst, size_t len);

static inline size_t rb_count(const ring_buffer_t *rb)
{
    return rb->count;
}

static inline int rb_is_full(const ring_buffer_t *rb)
{
    return rb->count == RB_CAPACITY;
}

#endif /* TIDE_RING_BUFFER_H */
