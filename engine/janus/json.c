/* JSON reader (RFC 8259) for Janus replies: recursive descent over a
 * bounded token array. The grammar is checked in full (numbers, escapes,
 * literals, commas), since a server's bytes are untrusted: a value either
 * parses completely or the whole message is refused. */
#include "engine/janus/json.h"

#include <stdio.h>
#include <string.h>

#include "parley.h"

typedef struct parser {
  pl_json *j;
  const char *s;
  size_t n, i;
  int depth;
} parser;

static void skip_ws(parser *p) {
  while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' ||
                         p->s[p->i] == '\r'))
    p->i++;
}

static int new_tok(parser *p, int type, size_t start) {
  if (p->j->n >= p->j->cap)
    return PL_EFULL;
  int t = p->j->n++;
  p->j->tok[t] = (pl_json_tok){.type = (uint8_t)type, .start = (uint32_t)start};
  return t;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int parse_value(parser *p);

static int parse_string(parser *p) {
  /* at the opening quote */
  size_t start = ++p->i;
  while (p->i < p->n) {
    unsigned char c = (unsigned char)p->s[p->i];
    if (c == '"') {
      int t = new_tok(p, PL_JSON_STRING, start);
      if (t < 0)
        return t;
      p->j->tok[t].len = (uint32_t)(p->i - start);
      p->j->tok[t].next = (uint32_t)p->j->n;
      p->i++;
      return t;
    }
    if (c < 0x20)
      return PL_EPARSE;
    if (c == '\\') {
      if (++p->i >= p->n)
        return PL_EPARSE;
      char e = p->s[p->i];
      if (e == 'u') {
        if (p->i + 4 >= p->n)
          return PL_EPARSE;
        for (int k = 1; k <= 4; k++)
          if (hexval(p->s[p->i + (size_t)k]) < 0)
            return PL_EPARSE;
        p->i += 4;
      } else if (!strchr("\"\\/bfnrt", e) || !e) {
        return PL_EPARSE;
      }
    }
    p->i++;
  }
  return PL_EPARSE;
}

static int parse_number(parser *p) {
  size_t start = p->i;
  const char *s = p->s;
  if (p->i < p->n && s[p->i] == '-')
    p->i++;
  if (p->i >= p->n)
    return PL_EPARSE;
  if (s[p->i] == '0')
    p->i++;
  else if (s[p->i] >= '1' && s[p->i] <= '9')
    while (p->i < p->n && s[p->i] >= '0' && s[p->i] <= '9')
      p->i++;
  else
    return PL_EPARSE;
  if (p->i < p->n && s[p->i] == '.') {
    size_t d = ++p->i;
    while (p->i < p->n && s[p->i] >= '0' && s[p->i] <= '9')
      p->i++;
    if (p->i == d)
      return PL_EPARSE;
  }
  if (p->i < p->n && (s[p->i] == 'e' || s[p->i] == 'E')) {
    p->i++;
    if (p->i < p->n && (s[p->i] == '+' || s[p->i] == '-'))
      p->i++;
    size_t d = p->i;
    while (p->i < p->n && s[p->i] >= '0' && s[p->i] <= '9')
      p->i++;
    if (p->i == d)
      return PL_EPARSE;
  }
  int t = new_tok(p, PL_JSON_NUMBER, start);
  if (t < 0)
    return t;
  p->j->tok[t].len = (uint32_t)(p->i - start);
  p->j->tok[t].next = (uint32_t)p->j->n;
  return t;
}

static int parse_literal(parser *p, const char *word, int type) {
  size_t k = strlen(word);
  if (p->n - p->i < k || memcmp(p->s + p->i, word, k))
    return PL_EPARSE;
  int t = new_tok(p, type, p->i);
  if (t < 0)
    return t;
  p->i += k;
  p->j->tok[t].len = (uint32_t)k;
  p->j->tok[t].next = (uint32_t)p->j->n;
  return t;
}

/* Arrays and objects: elements separated by commas, no trailing comma. */
static int parse_container(parser *p, bool object) {
  if (++p->depth > PL_JSON_MAX_DEPTH)
    return PL_EPARSE;
  int t = new_tok(p, object ? PL_JSON_OBJECT : PL_JSON_ARRAY, p->i);
  if (t < 0)
    return t;
  char close = object ? '}' : ']';
  p->i++;
  skip_ws(p);
  uint32_t n = 0;
  if (p->i < p->n && p->s[p->i] == close) {
    p->i++;
  } else {
    for (;;) {
      skip_ws(p);
      if (object) {
        if (p->i >= p->n || p->s[p->i] != '"')
          return PL_EPARSE;
        int k = parse_string(p);
        if (k < 0)
          return k;
        skip_ws(p);
        if (p->i >= p->n || p->s[p->i] != ':')
          return PL_EPARSE;
        p->i++;
      }
      int v = parse_value(p);
      if (v < 0)
        return v;
      n++;
      skip_ws(p);
      if (p->i >= p->n)
        return PL_EPARSE;
      if (p->s[p->i] == ',') {
        p->i++;
        continue;
      }
      if (p->s[p->i] != close)
        return PL_EPARSE;
      p->i++;
      break;
    }
  }
  p->j->tok[t].n = n;
  p->j->tok[t].len = (uint32_t)(p->i - p->j->tok[t].start);
  p->j->tok[t].next = (uint32_t)p->j->n;
  p->depth--;
  return t;
}

static int parse_value(parser *p) {
  skip_ws(p);
  if (p->i >= p->n)
    return PL_EPARSE;
  switch (p->s[p->i]) {
  case '{': return parse_container(p, true);
  case '[': return parse_container(p, false);
  case '"': return parse_string(p);
  case 't': return parse_literal(p, "true", PL_JSON_TRUE);
  case 'f': return parse_literal(p, "false", PL_JSON_FALSE);
  case 'n': return parse_literal(p, "null", PL_JSON_NULL);
  default: return parse_number(p);
  }
}

int pl_json_parse(pl_json *j, pl_json_tok *tok, int cap, const char *s, size_t n) {
  if (!j || !tok || cap <= 0 || (!s && n))
    return PL_EINVAL;
  *j = (pl_json){.src = s, .tok = tok, .cap = cap};
  parser p = {.j = j, .s = s, .n = n};
  int rc = parse_value(&p);
  if (rc >= 0) {
    skip_ws(&p);
    if (p.i != n)
      rc = PL_EPARSE;
  }
  if (rc < 0) {
    j->n = 0;
    return rc;
  }
  return j->n;
}

int pl_json_type_of(const pl_json *j, int t) {
  return t >= 0 && t < j->n ? j->tok[t].type : 0;
}

int pl_json_get(const pl_json *j, int obj, const char *key) {
  if (pl_json_type_of(j, obj) != PL_JSON_OBJECT)
    return -1;
  int k = obj + 1;
  for (uint32_t m = 0; m < j->tok[obj].n; m++) {
    int v = (int)j->tok[k].next;
    if (pl_json_str_is(j, k, key))
      return v;
    k = (int)j->tok[v].next;
  }
  return -1;
}

int pl_json_at(const pl_json *j, int arr, uint32_t i) {
  if (pl_json_type_of(j, arr) != PL_JSON_ARRAY || i >= j->tok[arr].n)
    return -1;
  int k = arr + 1;
  while (i--)
    k = (int)j->tok[k].next;
  return k;
}

static size_t put_utf8(char *o, uint32_t c) {
  if (c < 0x80) {
    o[0] = (char)c;
    return 1;
  }
  if (c < 0x800) {
    o[0] = (char)(0xc0 | (c >> 6));
    o[1] = (char)(0x80 | (c & 0x3f));
    return 2;
  }
  if (c < 0x10000) {
    o[0] = (char)(0xe0 | (c >> 12));
    o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
    o[2] = (char)(0x80 | (c & 0x3f));
    return 3;
  }
  o[0] = (char)(0xf0 | (c >> 18));
  o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
  o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
  o[3] = (char)(0x80 | (c & 0x3f));
  return 4;
}

static uint32_t hex4(const char *s) {
  return (uint32_t)(hexval(s[0]) << 12 | hexval(s[1]) << 8 | hexval(s[2]) << 4 | hexval(s[3]));
}

int pl_json_str(const pl_json *j, int t, char *buf, size_t cap) {
  if (pl_json_type_of(j, t) != PL_JSON_STRING || !buf || !cap)
    return PL_EINVAL;
  const char *s = j->src + j->tok[t].start;
  size_t n = j->tok[t].len, o = 0;
  for (size_t i = 0; i < n;) {
    char tmp[4];
    size_t k = 1;
    if (s[i] != '\\') {
      tmp[0] = s[i++];
    } else {
      char e = s[i + 1]; /* the tokenizer saw a complete escape */
      i += 2;
      switch (e) {
      case 'b': tmp[0] = '\b'; break;
      case 'f': tmp[0] = '\f'; break;
      case 'n': tmp[0] = '\n'; break;
      case 'r': tmp[0] = '\r'; break;
      case 't': tmp[0] = '\t'; break;
      case 'u': {
        uint32_t c = hex4(s + i);
        i += 4;
        if (c >= 0xd800 && c < 0xdc00) {
          /* A high surrogate must be followed by \u and a low one. */
          if (i + 6 > n || s[i] != '\\' || s[i + 1] != 'u')
            return PL_EPARSE;
          uint32_t lo = hex4(s + i + 2);
          if (lo < 0xdc00 || lo > 0xdfff)
            return PL_EPARSE;
          i += 6;
          c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
        } else if ((c >= 0xdc00 && c <= 0xdfff) || c == 0) {
          return PL_EPARSE; /* a lone low surrogate, or a NUL inside a C string */
        }
        k = put_utf8(tmp, c);
        break;
      }
      default: tmp[0] = e; break; /* " \ / */
      }
    }
    if (o + k >= cap)
      return PL_EFULL;
    memcpy(buf + o, tmp, k);
    o += k;
  }
  buf[o] = 0;
  return (int)o;
}

bool pl_json_str_is(const pl_json *j, int t, const char *s) {
  if (pl_json_type_of(j, t) != PL_JSON_STRING)
    return false;
  const char *raw = j->src + j->tok[t].start;
  size_t n = j->tok[t].len;
  if (!memchr(raw, '\\', n))
    return strlen(s) == n && !memcmp(raw, s, n);
  char buf[256];
  return pl_json_str(j, t, buf, sizeof buf) >= 0 && !strcmp(buf, s);
}

int pl_json_u64(const pl_json *j, int t, uint64_t *out) {
  if (pl_json_type_of(j, t) != PL_JSON_NUMBER)
    return PL_EINVAL;
  const char *s = j->src + j->tok[t].start;
  size_t n = j->tok[t].len;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return PL_ERANGE; /* sign, fraction or exponent */
    unsigned d = (unsigned)(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10)
      return PL_ERANGE;
    v = v * 10 + d;
  }
  *out = v;
  return 0;
}

int pl_json_i64(const pl_json *j, int t, int64_t *out) {
  if (pl_json_type_of(j, t) != PL_JSON_NUMBER)
    return PL_EINVAL;
  const char *s = j->src + j->tok[t].start;
  bool neg = s[0] == '-';
  pl_json sub = *j;
  pl_json_tok tk = j->tok[t];
  if (neg) {
    tk.start++;
    tk.len--;
  }
  sub.tok = &tk;
  sub.n = 1;
  uint64_t v;
  int rc = pl_json_u64(&sub, 0, &v);
  if (rc)
    return rc;
  if (v > (uint64_t)INT64_MAX + (neg ? 1u : 0u))
    return PL_ERANGE;
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return 0;
}

int pl_json_escape(char *out, size_t cap, const char *s) {
  size_t o = 0;
#define PUT(c)                                                                 \
  do {                                                                         \
    if (o + 1 >= cap)                                                          \
      return PL_EFULL;                                                         \
    out[o++] = (c);                                                            \
  } while (0)
  PUT('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      PUT('\\');
      PUT((char)c);
    } else if (c == '\n') {
      PUT('\\');
      PUT('n');
    } else if (c == '\r') {
      PUT('\\');
      PUT('r');
    } else if (c == '\t') {
      PUT('\\');
      PUT('t');
    } else if (c < 0x20) {
      char hex[8];
      snprintf(hex, sizeof hex, "\\u%04x", c);
      for (char *h = hex; *h; h++)
        PUT(*h);
    } else {
      PUT((char)c);
    }
  }
  PUT('"');
#undef PUT
  out[o] = 0;
  return (int)o;
}
