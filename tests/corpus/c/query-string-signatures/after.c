/*
 * query.c - query-string decoding for the admin HTTP server.
 */
#include <stddef.h>
#include <string.h>

#define MAX_QUERY_PARAMS 16

typedef int (*query_param_cb)(void *ctx, const char *key, const char *value);

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes %XX escapes and '+' in place; returns the decoded length or -1. */
int url_decode(char *buf, size_t len)
{
    size_t i, o = 0;

    for (i = 0; i < len; i++) {
        if (buf[i] == '+') {
            buf[o++] = ' ';
        } else if (buf[i] == '%' && i + 2 < len) {
            int hi = hex_digit(buf[i + 1]);
            int lo = hex_digit(buf[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            buf[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            buf[o++] = buf[i];
        }
    }
    buf[o] = '\0';
    return (int)o;
}

/* query_param_cb that only counts the parameters it is given. */
static int count_param(void *ctx, const char *key, const char *value)
{
    int *count = ctx;

    (*count)++;
    return *count < MAX_QUERY_PARAMS ? 0 : -1;
}

size_t query_param_count(char *query, query_param_cb cb, void *ctx)
{
    int count = 0;
    char *pair = strtok(query, "&");

    while (pair != NULL) {
        char *eq = strchr(pair, '=');
        if (eq != NULL)
            *eq++ = '\0';
        if (count_param(&count, pair, eq) != 0 || (cb != NULL && cb(ctx, pair, eq) != 0))
            break;
        pair = strtok(NULL, "&");
    }
    return count;
}
