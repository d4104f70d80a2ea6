/*
 * base64.c - base64 encoding (RFC 4648, section 4) for HTTP basic auth headers.
 *
 * Only the standard alphabet with '=' padding is supported; URL-safe base64
 * lives in token.c.
 */
#include <stddef.h>
#include <stdint.h>

static const char ALPHABET[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/*
 * Returns the size of the buffer base64_encode() needs for len input bytes,
 * including the terminating NUL.
 */
size_t base64_encoded_size(size_t len)
{
    return ((len + 2) / 3) * 4 + 1;
}

/*
 * Encodes len bytes of src into dst, which must hold base64_encoded_size(len)
 * bytes. Returns the length of the encoded string, without the NUL.
 */
size_t base64_encode(const uint8_t *src, size_t len, char *dst)
{
    size_t i, o = 0;

    /* Full 3-byte groups become 4 output characters. */
    for (i = 0; i + 2 < len; i += 3) {
        uint32_t v = ((uint32_t)src[i] << 16) | ((uint32_t)src[i + 1] << 8) | src[i + 2];
        dst[o++] = ALPHABET[(v >> 18) & 0x3f];
        dst[o++] = ALPHABET[(v >> 12) & 0x3f];
        dst[o++] = ALPHABET[(v >> 6) & 0x3f];
        dst[o++] = ALPHABET[v & 0x3f];
    }
    /* One or two trailing bytes: pad the last group with '='. */
    if (i < len) {
        uint32_t v = (uint32_t)src[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)src[i + 1] << 8;
        dst[o++] = ALPHABET[(v >> 18) & 0x3f];
        dst[o++] = ALPHABET[(v >> 12) & 0x3f];
        dst[o++] = i + 1 < len ? ALPHABET[(v >> 6) & 0x3f] : '=';
        dst[o++] = '=';
    }
    dst[o] = '\0';
    return o;
}
