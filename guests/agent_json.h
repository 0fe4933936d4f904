/* agent_json.h: the little JSON agent.wasm needs, without a JSON library in the guest: find a
 * member of an object, read a string or an integer, skip a value, and build JSON text with
 * escaped strings. The text it reads is the backend's own metadata (compact JSON) and the
 * arguments of the tool calls it parsed, so the reader is strict and small: it returns NULL
 * (or 0) on anything it does not understand, and never reads past the terminating NUL.
 */
#ifndef AGENT_JSON_H
#define AGENT_JSON_H

#include <stddef.h>

/* A growing NUL-terminated string (malloc'ed; sb_free releases it). */
typedef struct {
  char* s;
  size_t len, cap;
} strbuf;

void sb_add(strbuf* b, const char* text);
void sb_addn(strbuf* b, const char* text, size_t n);
/* TEXT as a JSON string literal, quotes included. */
void sb_add_json_string(strbuf* b, const char* text);
void sb_free(strbuf* b);

/* The value after optional whitespace at P, skipped: the first byte after it, or NULL. */
const char* json_skip(const char* p);
/* In the object at OBJ ('{' after optional whitespace), the value of member KEY (pointing at
 * its first byte), or NULL. */
const char* json_member(const char* obj, const char* key);
/* The string literal at P, unescaped, malloc'ed (the caller frees it); NULL when P is not one.
 * \uXXXX escapes become UTF-8 (surrogate pairs included). */
char* json_string(const char* p);
/* The integer at P into *OUT; 0 when P holds no integer. */
int json_int(const char* p, long long* out);
/* The raw text of the value at P (malloc'ed), e.g. "\"Paris\"" or "{...}"; NULL when malformed. */
char* json_raw(const char* p);

#endif /* AGENT_JSON_H */
