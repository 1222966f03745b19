/* A small JSON reader and string escaper for Janus signaling (RFC 8259).
 * The reader is jsmn-like: one pass over the text fills a caller-provided
 * token array (no allocation, bounded depth), and lookups walk it. Strings
 * keep pointers into the source; pl_json_str decodes escapes on demand.
 * Nothing here reads past the length it is given. */
#ifndef PL_ENGINE_JANUS_JSON_H
#define PL_ENGINE_JANUS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PL_JSON_MAX_DEPTH 32

typedef enum {
  PL_JSON_NULL = 1,
  PL_JSON_TRUE,
  PL_JSON_FALSE,
  PL_JSON_NUMBER,
  PL_JSON_STRING, /* start/len: the raw text between the quotes */
  PL_JSON_ARRAY,  /* n: elements */
  PL_JSON_OBJECT, /* n: members; each is a STRING key token, then its value */
} pl_json_type;

typedef struct pl_json_tok {
  uint8_t type;
  uint32_t start, len; /* bytes of the source */
  uint32_t n;          /* children (arrays, objects) */
  uint32_t next;       /* index of the token after this value's subtree */
} pl_json_tok;

typedef struct pl_json {
  const char *src;
  pl_json_tok *tok;
  int cap, n;
} pl_json;

/* Parses exactly one value (surrounding whitespace allowed) into tok[0..].
 * Returns the number of tokens, PL_EPARSE for malformed text (or nesting
 * over PL_JSON_MAX_DEPTH), PL_EFULL when cap tokens are not enough. */
int pl_json_parse(pl_json *j, pl_json_tok *tok, int cap, const char *s, size_t n);

/* The member `key` of object token `obj`, or -1 (also when obj is no object). */
int pl_json_get(const pl_json *j, int obj, const char *key);
/* Element i of array token `arr`, or -1. */
int pl_json_at(const pl_json *j, int arr, uint32_t i);
int pl_json_type_of(const pl_json *j, int t); /* 0 for t < 0 */

/* String value decoded (escapes, \u surrogate pairs to UTF-8) into buf,
 * NUL-terminated. Returns its length, PL_EINVAL when t is no string,
 * PL_EFULL when it does not fit, PL_EPARSE for a bad \u escape or a NUL. */
int pl_json_str(const pl_json *j, int t, char *buf, size_t cap);
/* Whether t is a string equal to s (compares the decoded value). */
bool pl_json_str_is(const pl_json *j, int t, const char *s);
/* A non-negative integer (no fraction, no exponent) that fits 64 bits. */
int pl_json_u64(const pl_json *j, int t, uint64_t *out);
/* A signed integer in int64 range. */
int pl_json_i64(const pl_json *j, int t, int64_t *out);

/* Writes s as a JSON string literal, quotes included, control characters
 * and quotes escaped. Returns the length written (NUL-terminated), or
 * PL_EFULL. */
int pl_json_escape(char *out, size_t cap, const char *s);

#endif
