/*
 * rx_queue.c - lock-free receive queue between the NIC interrupt and the poll loop.
 */
#include <stddef.h>
#include <stdint.h>

#define RXQ_SIZE 2048 /* power of two */
#define RXQ_MASK (RXQ_SIZE - 1)

struct rx_queue {
    uint8_t buf[RXQ_SIZE];
    size_t rd;
    size_t wr;
};

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

static size_t rxq_used(const struct rx_queue *q)
{
    return (q->wr - q->rd) & RXQ_MASK;
}

static size_t rxq_free(const struct rx_queue *q)
{
    return RXQ_SIZE - 1 - rxq_used(q);
}

size_t rxq_write(struct rx_queue *q, const uint8_t *src, size_t len)
{
    size_t i;

    len = min_size(len, rxq_free(q));
    for (i = 0; i < len; i++) {
        q->buf[(q->wr + i) & RXQ_MASK] = src[i];
    }
    q->wr = (q->wr + len) & RXQ_MASK;
    return len;
}

size_t rxq_read(struct rx_queue *q, uint8_t *dst, size_t len)
{
    size_t i;

    len = min_size(len, rxq_used(q));
    for (i = 0; i < len; i++) {
        dst[i] = q->buf[(q->rd + i) & RXQ_MASK];
    }
    q->rd = (q->rd + len) & RXQ_MASK;
    return len;
}
