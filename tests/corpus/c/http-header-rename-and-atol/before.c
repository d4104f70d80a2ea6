/*
 * header_parser.c - HTTP/1.1 request header parsing for the embedded admin server.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HEADERS 32
#define MAX_NAME_LEN 64

typedef struct {
    char name[MAX_NAME_LEN];
    const char *value;
    size_t value_len;
} http_header_t;

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

static size_t hdr_rtrim(const char *start, size_t len)
{
    while (len > 0 && isspace((unsigned char)start[len - 1]))
        len--;
    return len;
}

int parse_header_line(const char *line, size_t len, http_header_t *out)
{
    const char *end = line + len;
    const char *colon = memchr(line, ':', len);
    const char *value;
    size_t name_len;

    if (colon == NULL || colon == line)
        return -1;
    name_len = (size_t)(colon - line);
    if (name_len >= MAX_NAME_LEN)
        return -1;
    memcpy(out->name, line, name_len);
    out->name[name_len] = '\0';
    value = skip_ws(colon + 1, end);
    out->value = value;
    out->value_len = hdr_rtrim(value, (size_t)(end - value));
    return 0;
}

const http_header_t *find_header(const http_header_t *headers, size_t count, const char *name)
{
    size_t i;

    for (i = 0; i < count; i++) {
        if (strcasecmp(headers[i].name, name) == 0)
            return &headers[i];
    }
    return NULL;
}

long content_length(const http_header_t *headers, size_t count)
{
    const http_header_t *h = find_header(headers, count, "Content-Length");
    char buf[24];
    long n;

    if (h == NULL || h->value_len >= sizeof(buf))
        return -1;
    memcpy(buf, h->value, h->value_len);
    buf[h->value_len] = '\0';
    n = atoi(buf);
    return n < 0 ? -1 : n;
}
