/*
 * chunked.c - decoder for HTTP/1.1 chunked transfer encoding (RFC 9112, section 7.1).
 */
#include <ctype.h>
#include <stddef.h>
#include <string.h>

#define CHUNK_SIZE_MAX (1L << 24)

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Parses the hexadecimal chunk-size at the start of a chunk header line.
 * Returns the size, or -1 when the line does not start with a valid size.
 */
static long parse_chunk_size(const char *line, size_t len, unsigned flags)
{
    long size = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        int v = hex_value(line[i]);
        if (v < 0)
            break;
        size = size * 16 + v;
        if (size > CHUNK_SIZE_MAX)
            return -1;
    }
    return i == 0 ? -1 : size;
}

/* Decodes `in` into `out`; returns the number of payload bytes or -1. */
long decode_chunked(const char *in, size_t in_len, char *out, size_t out_cap)
{
    const char *p = in;
    const char *end = in + in_len;
    size_t total = 0;

    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        long size;

        if (eol == NULL)
            return -1;
        size = parse_chunk_size(p, (size_t)(eol - p), 0);
        if (size < 0 || (size_t)size > out_cap - total || eol + 1 + size > end)
            return -1;
        if (size == 0)
            return (long)total;
        memcpy(out + total, eol + 1, (size_t)size);
        total += (size_t)size;
        p = eol + 1 + size + 2; /* skip the CRLF after the data */
    }
    return -1;
}
