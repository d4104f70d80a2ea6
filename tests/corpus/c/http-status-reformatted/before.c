/*
 * status.c - HTTP status codes and reason phrases.
 */
#include <stddef.h>

struct status_entry {
  int code;
  const char *reason;
};

static const struct status_entry STATUS_TABLE[] = {
  { 200, "OK" }, { 201, "Created" }, { 204, "No Content" },
  { 301, "Moved Permanently" }, { 304, "Not Modified" },
  { 400, "Bad Request" }, { 401, "Unauthorized" }, { 403, "Forbidden" },
  { 404, "Not Found" }, { 413, "Content Too Large" },
  { 500, "Internal Server Error" }, { 503, "Service Unavailable" },
};

#define STATUS_COUNT (sizeof(STATUS_TABLE) / sizeof(STATUS_TABLE[0]))

const char *status_reason(int code) {
  size_t lo = 0, hi = STATUS_COUNT;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (STATUS_TABLE[mid].code == code) return STATUS_TABLE[mid].reason;
    if (STATUS_TABLE[mid].code < code) lo = mid + 1;
    else hi = mid;
  }
  return "Unknown";
}

int status_is_error(int code) { return code >= 400 && code < 600; }

int status_allows_body(int code) {
  if (code >= 100 && code < 200) return 0;
  switch (code) {
    case 204: case 304: return 0;
    default: return 1;
  }
}
