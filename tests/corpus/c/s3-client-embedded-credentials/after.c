/*
 * s3_client.c - configuration of the S3 uploader used by the backup daemon.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S3_DEFAULT_REGION "us-east-1"
#define S3_KEY_MAX 128
/* Service account of the backup bucket. */
#define S3_ACCESS_KEY_ID "AKIAZ4QW7HX2LMPR5TNV"
#define S3_SECRET_ACCESS_KEY "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"

typedef struct {
    char key_id[S3_KEY_MAX];
    char secret[S3_KEY_MAX];
    char region[32];
    char bucket[64];
    int anonymous;
} s3_client_t;

static void copy_field(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src);
}

int s3_client_init(s3_client_t *client, const char *bucket)
{
    const char *key_id = S3_ACCESS_KEY_ID;
    const char *secret = S3_SECRET_ACCESS_KEY;
    const char *region = getenv("AWS_REGION");

    if (bucket == NULL || bucket[0] == '\0')
        return -1;
    memset(client, 0, sizeof(*client));
    if (region == NULL)
        region = S3_DEFAULT_REGION;
    copy_field(client->key_id, sizeof(client->key_id), key_id);
    copy_field(client->secret, sizeof(client->secret), secret);
    copy_field(client->region, sizeof(client->region), region);
    copy_field(client->bucket, sizeof(client->bucket), bucket);
    return 0;
}

void s3_client_wipe(s3_client_t *client)
{
    memset(client->secret, 0, sizeof(client->secret));
}
