/* lex.c: the hk lexer.

   Tokens are made on demand, one at a time, with one token of lookahead
   (_hlang_lex_peek); there is no token array. Names and decoded string
   literals are copied into the program's arena, so a token stays valid after
   the lexer moved on. A malformed token is reported here and comes out as an
   ERROR token, which the parser treats as already reported.

   Invariant: lx->pos never passes lx->end, and lx->line/line_start describe
   the line that holds lx->pos (columns are byte offsets from line_start). */
#include <stdlib.h>
#include <string.h>

#include "lang_internal.h"

static const char* const hlang_tok_names[] = {
#define HLANG_TOK_NAME_(n, s) s,
    HLANG_TOKENS(HLANG_TOK_NAME_)
#undef HLANG_TOK_NAME_
};

const char* _hlang_tok_name(hlang_tok_t kind) { return kind < HLANG_T_COUNT ? hlang_tok_names[kind] : "?"; }

void _hlang_lex_init(hlang_lexer_t* lx, hlang_program_t* prog, const char* src, size_t len) {
  memset(lx, 0, sizeof *lx);
  lx->src = src;
  lx->pos = src;
  lx->end = src + len;
  lx->line = 1;
  lx->line_start = src;
  lx->prog = prog;
}

// ----- Helpers -----
static bool hlang_is_digit(int c) { return c >= '0' && c <= '9'; }
static bool hlang_is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool hlang_is_alnum(int c) { return hlang_is_alpha(c) || hlang_is_digit(c); }

static int hlang_hex_value(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int hlang_peekc(const hlang_lexer_t* lx, size_t ahead) {
  return (size_t)(lx->end - lx->pos) > ahead ? (unsigned char)lx->pos[ahead] : -1;
}

static uint32_t hlang_col(const hlang_lexer_t* lx, const char* p) { return (uint32_t)(p - lx->line_start) + 1; }

static void hlang_lex_error_at(hlang_lexer_t* lx, const char* p, const char* msg, int c) {
  if (c < 0) {
    _hlang_error(lx->prog, lx->line, hlang_col(lx, p), "%s", msg);
  } else if (c >= 0x20 && c < 0x7f) {
    _hlang_error(lx->prog, lx->line, hlang_col(lx, p), "%s '%c'", msg, c);
  } else {
    _hlang_error(lx->prog, lx->line, hlang_col(lx, p), "%s (byte 0x%02X)", msg, (unsigned)c);
  }
}

// Skips blanks and // comments; returns whether a newline was crossed.
static bool hlang_skip_space(hlang_lexer_t* lx) {
  bool nl = false;
  while (lx->pos < lx->end) {
    char c = *lx->pos;
    if (c == '\n') {
      lx->pos++;
      lx->line++;
      lx->line_start = lx->pos;
      nl = true;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      lx->pos++;
    } else if (c == '/' && hlang_peekc(lx, 1) == '/') {
      while (lx->pos < lx->end && *lx->pos != '\n') lx->pos++;
    } else {
      break;
    }
  }
  return nl;
}

// ----- Names and keywords -----
static const struct {
  const char* word;
  uint8_t kind;
} hlang_keywords[] = {
    {"let", HLANG_T_LET},       {"fn", HLANG_T_FN},         {"return", HLANG_T_RETURN},
    {"if", HLANG_T_IF},         {"else", HLANG_T_ELSE},     {"while", HLANG_T_WHILE},
    {"for", HLANG_T_FOR},       {"in", HLANG_T_IN},         {"break", HLANG_T_BREAK},
    {"continue", HLANG_T_CONTINUE}, {"true", HLANG_T_TRUE}, {"false", HLANG_T_FALSE},
    {"nil", HLANG_T_NIL},       {"and", HLANG_T_AND},       {"or", HLANG_T_OR},
    {"not", HLANG_T_NOT},       {"extern", HLANG_T_EXTERN},
};

static void hlang_lex_name(hlang_lexer_t* lx, hlang_token_t* t) {
  const char* p = lx->pos;
  while (p < lx->end && hlang_is_alnum((unsigned char)*p)) p++;
  size_t n = (size_t)(p - lx->pos);
  lx->pos = p;
  t->kind = HLANG_T_NAME;
  for (size_t k = 0; k < sizeof hlang_keywords / sizeof hlang_keywords[0]; k++) {
    if (strlen(hlang_keywords[k].word) == n && memcmp(hlang_keywords[k].word, t->start, n) == 0) {
      t->kind = hlang_keywords[k].kind;
      break;
    }
  }
  // Keywords keep their text too: they may name a field (`m.in`).
  t->v.str.s = _hlang_strdup(lx->prog, t->start, n);
  t->v.str.len = (uint32_t)n;
}

// ----- Numbers -----
static void hlang_lex_hex(hlang_lexer_t* lx, hlang_token_t* t) {
  const char* p = lx->pos + 2;  // after 0x
  uint64_t v = 0;
  int digits = 0;
  bool big = false;
  while (p < lx->end && hlang_hex_value((unsigned char)*p) >= 0) {
    if (v >> 60) big = true;
    v = (v << 4) | (uint64_t)hlang_hex_value((unsigned char)*p);
    digits++;
    p++;
  }
  lx->pos = p;
  t->kind = HLANG_T_INT;
  t->v.i = (int64_t)v;  // two's complement: 0xFFFFFFFFFFFFFFFF is -1
  if (digits == 0) {
    hlang_lex_error_at(lx, t->start, "hex literal needs digits after 0x", -1);
    t->kind = HLANG_T_ERROR;
  } else if (big) {
    hlang_lex_error_at(lx, t->start, "integer literal does not fit in 64 bits", -1);
    t->kind = HLANG_T_ERROR;
  }
}

static void hlang_lex_float(hlang_lexer_t* lx, hlang_token_t* t, size_t n) {
  char buf[128];
  char* s = n < sizeof buf ? buf : _hlang_alloc(lx->prog, n + 1);
  memcpy(s, t->start, n);
  s[n] = 0;
  t->kind = HLANG_T_FLOAT;
  t->v.f = strtod(s, NULL);
  if (t->v.f > 1.7976931348623157e308 || t->v.f < -1.7976931348623157e308) {
    hlang_lex_error_at(lx, t->start, "float literal out of range", -1);
    t->kind = HLANG_T_ERROR;
  }
}

static void hlang_lex_number(hlang_lexer_t* lx, hlang_token_t* t) {
  if (*lx->pos == '0' && (hlang_peekc(lx, 1) == 'x' || hlang_peekc(lx, 1) == 'X')) {
    hlang_lex_hex(lx, t);
  } else {
    const char* p = lx->pos;
    while (p < lx->end && hlang_is_digit((unsigned char)*p)) p++;
    bool is_float = false;
    if (p + 1 < lx->end && *p == '.' && hlang_is_digit((unsigned char)p[1])) {
      is_float = true;
      p++;
      while (p < lx->end && hlang_is_digit((unsigned char)*p)) p++;
    }
    if (p < lx->end && (*p == 'e' || *p == 'E')) {
      const char* q = p + 1;
      if (q < lx->end && (*q == '+' || *q == '-')) q++;
      if (q < lx->end && hlang_is_digit((unsigned char)*q)) {
        is_float = true;
        p = q;
        while (p < lx->end && hlang_is_digit((unsigned char)*p)) p++;
      }
    }
    lx->pos = p;
    if (is_float) {
      hlang_lex_float(lx, t, (size_t)(p - t->start));
    } else {
      uint64_t v = 0;
      bool big = false;
      for (const char* d = t->start; d < p; d++) {
        uint64_t dv = (uint64_t)(*d - '0');
        if (v > (UINT64_MAX - dv) / 10) big = true;
        v = v * 10 + dv;
      }
      t->kind = HLANG_T_INT;
      if (big || v > (uint64_t)INT64_MAX + 1) {
        hlang_lex_error_at(lx, t->start, "integer literal does not fit in 64 bits", -1);
        t->kind = HLANG_T_ERROR;
      } else if (v == (uint64_t)INT64_MAX + 1) {
        t->int_min = true;  // only valid as -9223372036854775808
        t->v.i = INT64_MIN;
      } else {
        t->v.i = (int64_t)v;
      }
    }
  }
  if (lx->pos < lx->end && hlang_is_alnum((unsigned char)*lx->pos)) {
    if (t->kind != HLANG_T_ERROR) hlang_lex_error_at(lx, lx->pos, "invalid character in number literal", (unsigned char)*lx->pos);
    while (lx->pos < lx->end && hlang_is_alnum((unsigned char)*lx->pos)) lx->pos++;
    t->kind = HLANG_T_ERROR;
  }
}

// ----- Strings -----
static char* hlang_put_utf8(char* o, uint32_t cp) {
  if (cp < 0x80) {
    *o++ = (char)cp;
  } else if (cp < 0x800) {
    *o++ = (char)(0xC0 | (cp >> 6));
    *o++ = (char)(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *o++ = (char)(0xE0 | (cp >> 12));
    *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
    *o++ = (char)(0x80 | (cp & 0x3F));
  } else {
    *o++ = (char)(0xF0 | (cp >> 18));
    *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
    *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
    *o++ = (char)(0x80 | (cp & 0x3F));
  }
  return o;
}

// Reads 4 hex digits at p; -1 when they are not there.
static long hlang_hex4(const hlang_lexer_t* lx, const char* p) {
  if (lx->end - p < 4) return -1;
  long v = 0;
  for (int k = 0; k < 4; k++) {
    int h = hlang_hex_value((unsigned char)p[k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

// Decodes \uXXXX (and a following low surrogate) at p (p points at 'u');
// returns the byte after it, or NULL after reporting an error.
static const char* hlang_lex_unicode(hlang_lexer_t* lx, const char* p, char** out) {
  long cp = hlang_hex4(lx, p + 1);
  if (cp < 0) {
    hlang_lex_error_at(lx, p - 1, "\\u needs four hex digits", -1);
    return NULL;
  }
  p += 5;
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    long lo = (lx->end - p >= 6 && p[0] == '\\' && p[1] == 'u') ? hlang_hex4(lx, p + 2) : -1;
    if (lo < 0xDC00 || lo > 0xDFFF) {
      hlang_lex_error_at(lx, p - 6, "high surrogate \\u escape without a low surrogate after it", -1);
      return NULL;
    }
    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    p += 6;
  } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
    hlang_lex_error_at(lx, p - 6, "low surrogate \\u escape without a high surrogate before it", -1);
    return NULL;
  }
  *out = hlang_put_utf8(*out, (uint32_t)cp);
  return p;
}

static const char* hlang_lex_escape(hlang_lexer_t* lx, const char* p, char** o) {
  // p points at the backslash
  switch (p + 1 < lx->end ? p[1] : 0) {
    case 'n': *(*o)++ = '\n'; return p + 2;
    case 't': *(*o)++ = '\t'; return p + 2;
    case 'r': *(*o)++ = '\r'; return p + 2;
    case '\\': *(*o)++ = '\\'; return p + 2;
    case '"': *(*o)++ = '"'; return p + 2;
    case '0': *(*o)++ = '\0'; return p + 2;
    case 'u': return hlang_lex_unicode(lx, p + 1, o);
    default: {
      int c = (unsigned char)p[1];  // p + 1 < end: the string scan paired every backslash
      if (c > 0x20 && c < 0x7f) {
        _hlang_error(lx->prog, lx->line, hlang_col(lx, p), "invalid escape '\\%c' in string (use \\n \\t \\r \\\\ \\\" \\0 \\uXXXX)", c);
      } else {
        hlang_lex_error_at(lx, p, "invalid escape in string: a backslash before", c);
      }
      return NULL;
    }
  }
}

static void hlang_lex_string(hlang_lexer_t* lx, hlang_token_t* t) {
  const char* p = lx->pos + 1;
  const char* close = p;  // find the end first, to size the buffer
  while (close < lx->end && *close != '"' && *close != '\n') close += (*close == '\\' && close + 1 < lx->end && close[1] != '\n') ? 2 : 1;
  if (close >= lx->end || *close != '"') {
    hlang_lex_error_at(lx, t->start, "unterminated string (strings end on the line they start)", -1);
    lx->pos = close;
    t->kind = HLANG_T_ERROR;
    return;
  }
  char* buf = _hlang_alloc(lx->prog, (size_t)(close - p) + 1);  // decoding never grows the text
  char* o = buf;
  bool ok = true;
  while (p < close) {
    if (*p == '\\') {
      const char* q = hlang_lex_escape(lx, p, &o);
      if (q == NULL) {
        ok = false;
        p += 2;
      } else {
        p = q;
      }
    } else {
      *o++ = *p++;
    }
  }
  *o = 0;
  lx->pos = close + 1;
  t->kind = ok ? HLANG_T_STRING : HLANG_T_ERROR;
  t->v.str.s = buf;
  t->v.str.len = (uint32_t)(o - buf);
}

// ----- Operators -----
static hlang_tok_t hlang_lex_op(hlang_lexer_t* lx) {
  int c = (unsigned char)*lx->pos, c2 = hlang_peekc(lx, 1);
  lx->pos++;
  switch (c) {
    case '(': return HLANG_T_LPAREN;
    case ')': return HLANG_T_RPAREN;
    case '[': return HLANG_T_LBRACKET;
    case ']': return HLANG_T_RBRACKET;
    case '{': return HLANG_T_LBRACE;
    case '}': return HLANG_T_RBRACE;
    case ',': return HLANG_T_COMMA;
    case ';': return HLANG_T_SEMI;
    case ':': return HLANG_T_COLON;
    case '.': return HLANG_T_DOT;
    case '+': return HLANG_T_PLUS;
    case '*': return HLANG_T_STAR;
    case '/': return HLANG_T_SLASH;
    case '%': return HLANG_T_PERCENT;
    case '-': if (c2 == '>') { lx->pos++; return HLANG_T_ARROW; } return HLANG_T_MINUS;
    case '=': if (c2 == '=') { lx->pos++; return HLANG_T_EQ; } return HLANG_T_ASSIGN;
    case '<': if (c2 == '=') { lx->pos++; return HLANG_T_LE; } return HLANG_T_LT;
    case '>': if (c2 == '=') { lx->pos++; return HLANG_T_GE; } return HLANG_T_GT;
    case '!':
      if (c2 == '=') { lx->pos++; return HLANG_T_NE; }
      hlang_lex_error_at(lx, lx->pos - 1, "unexpected character '!' (negation is 'not')", -1);
      return HLANG_T_ERROR;
    default:
      hlang_lex_error_at(lx, lx->pos - 1, "unexpected character", c);
      while (c >= 0x80 && lx->pos < lx->end && (unsigned char)*lx->pos >= 0x80) lx->pos++;  // one error per UTF-8 run
      return HLANG_T_ERROR;
  }
}

// ----- Entry points -----
static void hlang_lex_scan(hlang_lexer_t* lx, hlang_token_t* t) {
  memset(t, 0, sizeof *t);
  t->nl_before = hlang_skip_space(lx);
  t->line = lx->line;
  t->col = hlang_col(lx, lx->pos);
  t->start = lx->pos;
  if (lx->pos >= lx->end) {
    t->kind = HLANG_T_EOF;
    return;
  }
  int c = (unsigned char)*lx->pos;
  if (hlang_is_alpha(c)) {
    hlang_lex_name(lx, t);
  } else if (hlang_is_digit(c)) {
    hlang_lex_number(lx, t);
  } else if (c == '"') {
    hlang_lex_string(lx, t);
  } else {
    t->kind = (uint8_t)hlang_lex_op(lx);
  }
  t->len = (uint32_t)(lx->pos - t->start);
}

void _hlang_lex_next(hlang_lexer_t* lx, hlang_token_t* tok) {
  if (lx->has_ahead) {
    *tok = lx->ahead;
    lx->has_ahead = false;
    return;
  }
  hlang_lex_scan(lx, tok);
}

const hlang_token_t* _hlang_lex_peek(hlang_lexer_t* lx) {
  if (!lx->has_ahead) {
    hlang_lex_scan(lx, &lx->ahead);
    lx->has_ahead = true;
  }
  return &lx->ahead;
}
