/* agent_json.c: see agent_json.h. */
#include "agent_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sb_addn(strbuf* b, const char* text, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) cap *= 2;
    char* s = (char*)realloc(b->s, cap);
    if (s == NULL) abort(); /* out of guest memory: nothing sensible is left to do */
    b->s = s;
    b->cap = cap;
  }
  memcpy(b->s + b->len, text, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void sb_add(strbuf* b, const char* text) { sb_addn(b, text, strlen(text)); }

void sb_add_json_string(strbuf* b, const char* text) {
  sb_add(b, "\"");
  for (const unsigned char* p = (const unsigned char*)text; *p; ++p) {
    char esc[8];
    if (*p == '"' || *p == '\\') {
      esc[0] = '\\';
      esc[1] = (char)*p;
      sb_addn(b, esc, 2);
    } else if (*p < 0x20) {
      snprintf(esc, sizeof esc, "\\u%04x", *p);
      sb_add(b, esc);
    } else {
      sb_addn(b, (const char*)p, 1);
    }
  }
  sb_add(b, "\"");
}

void sb_free(strbuf* b) {
  free(b->s);
  b->s = NULL;
  b->len = b->cap = 0;
}

static const char* ws(const char* p) {
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') ++p;
  return p;
}

/* The byte after the string literal at P (P at its opening quote), or NULL. */
static const char* skip_string(const char* p) {
  for (++p; *p; ++p) {
    if (*p == '\\') {
      if (*++p == '\0') return NULL;
    } else if (*p == '"') {
      return p + 1;
    }
  }
  return NULL;
}

/* Brackets are counted, not recursed into: any nesting is skipped in constant stack. */
const char* json_skip(const char* p) {
  p = ws(p);
  if (*p == '"') return skip_string(p);
  if (*p != '{' && *p != '[') {
    const char* start = p;
    while (*p && strchr(",}] \t\r\n", *p) == NULL) ++p;
    return p == start ? NULL : p;
  }
  long depth = 0;
  for (; *p; ++p) {
    if (*p == '"') {
      if ((p = skip_string(p)) == NULL) return NULL;
      --p;
    } else if (*p == '{' || *p == '[') {
      ++depth;
    } else if ((*p == '}' || *p == ']') && --depth == 0) {
      return p + 1;
    }
  }
  return NULL;
}

const char* json_member(const char* obj, const char* key) {
  const char* p = ws(obj);
  if (*p++ != '{') return NULL;
  size_t key_len = strlen(key);
  for (;;) {
    p = ws(p);
    if (*p != '"') return NULL;
    const char* end = skip_string(p);
    if (end == NULL) return NULL;
    int match = (size_t)(end - p - 2) == key_len && strncmp(p + 1, key, key_len) == 0;
    p = ws(end);
    if (*p++ != ':') return NULL;
    if (match) return ws(p);
    if ((p = json_skip(p)) == NULL) return NULL;
    p = ws(p);
    if (*p++ != ',') return NULL;
  }
}

static void put_utf8(strbuf* b, unsigned long c) {
  char u[4];
  size_t n;
  if (c < 0x80) {
    u[0] = (char)c, n = 1;
  } else if (c < 0x800) {
    u[0] = (char)(0xC0 | (c >> 6)), u[1] = (char)(0x80 | (c & 0x3F)), n = 2;
  } else if (c < 0x10000) {
    u[0] = (char)(0xE0 | (c >> 12)), u[1] = (char)(0x80 | ((c >> 6) & 0x3F)), u[2] = (char)(0x80 | (c & 0x3F)), n = 3;
  } else {
    u[0] = (char)(0xF0 | (c >> 18)), u[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((c >> 6) & 0x3F)), u[3] = (char)(0x80 | (c & 0x3F)), n = 4;
  }
  sb_addn(b, u, n);
}

static int hex4(const char* p, unsigned long* out) {
  char digits[5] = {0};
  for (int i = 0; i < 4; ++i) {
    if (p[i] == '\0' || strchr("0123456789abcdefABCDEF", p[i]) == NULL) return 0;
    digits[i] = p[i];
  }
  *out = strtoul(digits, NULL, 16);
  return 1;
}

char* json_string(const char* p) {
  p = ws(p);
  if (*p != '"' || skip_string(p) == NULL) return NULL;
  strbuf b = {0};
  sb_add(&b, "");
  for (++p; *p != '"'; ++p) {
    if (*p != '\\') {
      sb_addn(&b, p, 1);
      continue;
    }
    const char c = *++p;
    const char* plain = strchr("\"\\/", c) ? &c : NULL;
    if (plain)
      sb_addn(&b, plain, 1);
    else if (c == 'n')
      sb_add(&b, "\n");
    else if (c == 't')
      sb_add(&b, "\t");
    else if (c == 'r')
      sb_add(&b, "\r");
    else if (c == 'b')
      sb_add(&b, "\b");
    else if (c == 'f')
      sb_add(&b, "\f");
    else if (c == 'u') {
      unsigned long cp = 0, low = 0;
      if (!hex4(p + 1, &cp)) break;
      p += 4;
      if (cp >= 0xD800 && cp < 0xDC00 && p[1] == '\\' && p[2] == 'u' && hex4(p + 3, &low)) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        p += 6;
      }
      put_utf8(&b, cp);
    }
  }
  return b.s;
}

int json_int(const char* p, long long* out) {
  char* end = NULL;
  p = ws(p);
  long long v = strtoll(p, &end, 10);
  if (end == p) return 0;
  *out = v;
  return 1;
}

char* json_raw(const char* p) {
  p = ws(p);
  const char* end = json_skip(p);
  if (end == NULL) return NULL;
  strbuf b = {0};
  sb_addn(&b, p, (size_t)(end - p));
  return b.s;
}
