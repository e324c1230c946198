/* hjson.h: strict RFC 8259 JSON for the hakmem runtime and for C programs.

   A document (hjson_doc_t) owns a tree of values. Every node is its own
   block from the allocation context given at creation (hakmem.h hak_alc_t;
   NULL means hak_alc_default()), each tagged with a json.* site:
     json.document  the hjson_doc_t            json.string  a string value
     json.array     an array (header + items)  json.key     an object key
     json.object    an object (header + members)
     json.items     item storage of a container grown after creation
     json.parse.stack / json.parse.scratch     parser work memory (freed on return)
     json.write.buffer / json.write.stack      writer output and work memory
   Scalars (null, bool, int, double) live inline in their slot: no block.

   Conventions for every function below:
   - Input is a buffer and a length; it need not be NUL-terminated and may
     contain any bytes. Nothing reads past data + len. No input crashes.
   - Functions that allocate return NULL/false on allocation failure and leave
     their inputs as they were (a failed parse leaks nothing).
   - Read accessors accept NULL and a value of the wrong type: they return
     0, false, NULL or HJSON_NONE. They never allocate.
   - A hjson_val_t* obtained from a container points into that container's
     storage: it stays valid until that container gains or loses an entry, or
     the document is freed. Containers themselves never move.
   - Line and column in errors are 1-based and count bytes; a line ends at
     '\n'.
   - Thread safety: a document may be read from many threads at once; any
     modification needs exclusive access. Distinct documents are independent.
   docs/json.md gives the design and every choice the RFC leaves open. */
#ifndef HJSON_H
#define HJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hakmem.h"

#ifdef __cplusplus
extern "C" {
#endif

// ----- Types -----
typedef enum hjson_type_e {
  HJSON_NONE = 0,  // no value: a NULL pointer, a missing key, an index out of range
  HJSON_NULL,
  HJSON_BOOL,
  HJSON_INT,     // int64_t: a number written without fraction or exponent that fits
  HJSON_DOUBLE,  // every other number (finite when parsed)
  HJSON_STRING,  // bytes + length; NUL-terminated for convenience, may contain NUL
  HJSON_ARRAY,
  HJSON_OBJECT   // members in order; keys unique after parsing
} hjson_type_t;

typedef struct hjson_doc_s hjson_doc_t;  // opaque: the owner of a tree
typedef struct hjson_val_s hjson_val_t;  // a value slot (16 bytes)
typedef struct hjson_ctn_s hjson_ctn_t;  // an array or object node

typedef enum hjson_err_e {
  HJSON_OK = 0,
  HJSON_ERR_SYNTAX,     // a character that cannot start or continue the text here
  HJSON_ERR_EOF,        // the input ends inside a value
  HJSON_ERR_NUMBER,     // malformed number (leading zero, missing digits) or out of double range
  HJSON_ERR_STRING,     // control character, bad escape, lone surrogate, unterminated
  HJSON_ERR_UTF8,       // input or a string to write is not valid UTF-8
  HJSON_ERR_DEPTH,      // nesting deeper than the limit
  HJSON_ERR_TRAILING,   // something other than whitespace after the value
  HJSON_ERR_LIMIT,      // a container with more than UINT32_MAX entries, a size overflow
  HJSON_ERR_NOMEM,      // the allocation context returned NULL
  HJSON_ERR_NONFINITE,  // writer: NaN or infinity cannot be written
  HJSON_ERR_STATE,      // writer: call out of order (key outside object, unbalanced end, ...)
  HJSON_ERR_ARG         // bad argument (NULL where a value is required, indent out of range)
} hjson_err_t;

typedef struct hjson_error_s {
  hjson_err_t code;  // HJSON_OK when there is no error
  size_t pos;        // byte offset of the error in the input (parser only)
  size_t line;       // 1-based line of pos (parser only; 0 for writer errors)
  size_t col;        // 1-based column of pos, in bytes (parser only)
  const char* msg;   // static English message, never NULL after an error
} hjson_error_t;

// ----- Parsing -----
#define HJSON_DEPTH_DEFAULT 1000  // default limit on nested arrays/objects

typedef struct hjson_read_opts_s {
  size_t max_depth;  // most nested containers allowed; 0 means HJSON_DEPTH_DEFAULT
} hjson_read_opts_t;

// Parses exactly one RFC 8259 JSON text of len bytes (surrounding whitespace
// allowed). Returns a new document, or NULL with *err filled (err may be
// NULL). alc NULL: hak_alc_default(). data may be NULL only when len is 0.
// A repeated key keeps the position of its first occurrence and the value of
// its last. Uses no recursion: any depth up to the limit is safe.
hjson_doc_t* hjson_parse(const char* data, size_t len, const hak_alc_t* alc, hjson_error_t* err);
// The same with options (opts NULL: defaults).
hjson_doc_t* hjson_parse_opts(const char* data, size_t len, const hjson_read_opts_t* opts, const hak_alc_t* alc,
                              hjson_error_t* err);
// Parses one JSON number at the start of s[0..len) (the RFC grammar: no '+',
// no leading zeros, digits on both sides of '.'). Sets *out to HJSON_INT or
// HJSON_DOUBLE and returns the bytes consumed, or 0 when s does not start with
// a valid number or it is out of double range (then *out is untouched).
// Correctly rounded, locale-independent.
size_t hjson_read_number(const char* s, size_t len, hjson_val_t* out);
// Parses a decimal floating literal at the start of s[0..len):
// [+-]? digits ('.' digits)? ([eE] [+-]? digits)?  (leading zeros allowed,
// no "inf"/"nan", no hex). Returns the bytes consumed (0 if none) and sets
// *out to the correctly rounded double (±inf on overflow, ±0 on underflow).
// Does not depend on the locale.
size_t hjson_read_double(const char* s, size_t len, double* out);

// ----- Documents -----
// A new document whose root is null. NULL when out of memory.
hjson_doc_t* hjson_doc_new(const hak_alc_t* alc);
// Frees the document and every node in it (no recursion). NULL: no-op.
void hjson_doc_free(hjson_doc_t* doc);
// The root slot (never NULL for a live document; NULL for doc NULL).
hjson_val_t* hjson_doc_root(hjson_doc_t* doc);
// The allocation context the document allocates through.
const hak_alc_t* hjson_doc_alc(const hjson_doc_t* doc);

// ----- Reading values (inline, at the end of this header) -----
static inline hjson_type_t hjson_type(const hjson_val_t* v);
const char* hjson_type_name(hjson_type_t t);  // "null", "bool", ..., "none"
static inline bool hjson_is_null(const hjson_val_t* v);
static inline bool hjson_is_bool(const hjson_val_t* v);
static inline bool hjson_is_int(const hjson_val_t* v);
static inline bool hjson_is_double(const hjson_val_t* v);
static inline bool hjson_is_num(const hjson_val_t* v);  // int or double
static inline bool hjson_is_str(const hjson_val_t* v);
static inline bool hjson_is_arr(const hjson_val_t* v);
static inline bool hjson_is_obj(const hjson_val_t* v);
static inline bool hjson_get_bool(const hjson_val_t* v);      // false unless a true bool
static inline int64_t hjson_get_int(const hjson_val_t* v);    // 0 unless an int
static inline double hjson_get_double(const hjson_val_t* v);  // 0.0 unless a double
static inline double hjson_get_num(const hjson_val_t* v);     // an int or double as double, else 0.0
static inline const char* hjson_get_str(const hjson_val_t* v);  // NULL unless a string
static inline size_t hjson_get_len(const hjson_val_t* v);       // string bytes, array or object entries, else 0
static inline size_t hjson_arr_len(const hjson_val_t* arr);
static inline hjson_val_t* hjson_arr_get(const hjson_val_t* arr, size_t i);  // NULL out of range
static inline size_t hjson_obj_len(const hjson_val_t* obj);
static inline hjson_val_t* hjson_obj_key(const hjson_val_t* obj, size_t i);  // the i-th key (a string value)
static inline hjson_val_t* hjson_obj_val(const hjson_val_t* obj, size_t i);  // the i-th value
// The value of key[0..klen) in obj, or NULL (linear search).
hjson_val_t* hjson_obj_get(const hjson_val_t* obj, const char* key, size_t klen);
// Same for a NUL-terminated key.
static inline hjson_val_t* hjson_obj_getz(const hjson_val_t* obj, const char* key);
// Deep equality: same types and values (ints and doubles are different
// types; doubles compare with ==, so NaN != NaN; object members compare in
// order). Uses no recursion; nesting deeper than 32 levels needs work memory
// from hak_alc_default(), and false is returned if that fails.
bool hjson_equal(const hjson_val_t* a, const hjson_val_t* b);

// ----- Building and modifying -----
// v must be the root of doc or a slot inside it. A setter first frees what v
// held (a whole subtree for a container). On failure (false) v is unchanged.
void hjson_set_null(hjson_doc_t* doc, hjson_val_t* v);
void hjson_set_bool(hjson_doc_t* doc, hjson_val_t* v, bool b);
void hjson_set_int(hjson_doc_t* doc, hjson_val_t* v, int64_t i);
void hjson_set_double(hjson_doc_t* doc, hjson_val_t* v, double d);  // any double; writers refuse non-finite
bool hjson_set_str(hjson_doc_t* doc, hjson_val_t* v, const char* s, size_t len);  // copies s (bytes, any content)
bool hjson_set_arr(hjson_doc_t* doc, hjson_val_t* v);                            // an empty array
bool hjson_set_obj(hjson_doc_t* doc, hjson_val_t* v);                            // an empty object
// Deep copy of src (from any document, even from inside v) into v.
bool hjson_set_copy(hjson_doc_t* doc, hjson_val_t* v, const hjson_val_t* src);
// Appends a null element to arr and returns its slot; NULL when arr is not
// an array or out of memory.
hjson_val_t* hjson_arr_push(hjson_doc_t* doc, hjson_val_t* arr);
// Inserts a null element before index i (i == len appends); NULL when out of
// range, not an array or out of memory.
hjson_val_t* hjson_arr_insert(hjson_doc_t* doc, hjson_val_t* arr, size_t i);
// Removes (and frees) element i; false when out of range or not an array.
bool hjson_arr_remove(hjson_doc_t* doc, hjson_val_t* arr, size_t i);
// The value slot of key in obj: the existing one (unchanged), or a new null
// member appended at the end. NULL when obj is not an object or out of memory.
hjson_val_t* hjson_obj_put(hjson_doc_t* doc, hjson_val_t* obj, const char* key, size_t klen);
// Removes (and frees) the member key; later members keep their order.
// False when absent or obj is not an object.
bool hjson_obj_remove(hjson_doc_t* doc, hjson_val_t* obj, const char* key, size_t klen);

// ----- Writing -----
// Output: NUL-terminated text data[0..len) in a block of cap bytes from the
// context it was written with; free it with hjson_buf_free.
typedef struct hjson_buf_s {
  char* data;  // NULL when empty
  size_t len;  // bytes of text, not counting the NUL
  size_t cap;  // size of the block (what the context's free is given)
} hjson_buf_t;
void hjson_buf_free(hjson_buf_t* buf, const hak_alc_t* alc);

#define HJSON_COMPACT (-1)    // indent value: no whitespace at all ([1,"a",{"k":null}])
#define HJSON_INDENT_MAX 64  // largest indent accepted

// Writes v as JSON: indent HJSON_COMPACT, or 0..HJSON_INDENT_MAX for the
// layout of Python's json.dumps(v, indent=N) (',' at line ends, ": " after
// keys, [] and {} when empty; indent 0 breaks lines without indenting).
// Doubles are written as hjson_dtoa does (shortest round trip); a double
// that is NaN or infinite and a string that is not valid UTF-8 are refused
// (HJSON_ERR_NONFINITE, HJSON_ERR_UTF8): the output is always valid JSON.
// Strings escape '"', '\\' and bytes below 0x20 (\b \f \n \r \t by name,
// others as \u00XX); every other byte is written as it is.
// On failure returns false, *out is empty and nothing is leaked.
bool hjson_write(const hjson_val_t* v, int indent, const hak_alc_t* alc, hjson_buf_t* out, hjson_error_t* err);

// Streaming writer: no document needed. Calls must form one JSON value
// (begin/end balanced, keys only directly inside objects, one value after each
// key). The first misuse or failure makes every later call return false; the
// reason is in hjson_writer_error(). The struct lives wherever the caller
// puts it; its fields are private.
typedef struct hjson_writer_s {
  const hak_alc_t* alc;  // where buf and levels come from
  char* buf;             // output, cap bytes (json.write.buffer)
  size_t len;            // bytes written
  size_t cap;            // size of buf
  uint8_t* levels;       // per open container: HJSON_WL_* bits; inline_levels or a block
  size_t levels_cap;     // entries in levels
  size_t depth;          // open containers
  int indent;            // HJSON_COMPACT or 0..HJSON_INDENT_MAX
  int done;              // 1 once a complete top-level value is written
  hjson_error_t err;     // first error (code HJSON_OK while fine)
  uint8_t inline_levels[48];
} hjson_writer_t;

// indent as for hjson_write (out of range: the writer starts in error
// HJSON_ERR_ARG). Allocates nothing yet.
void hjson_writer_init(hjson_writer_t* w, const hak_alc_t* alc, int indent);
// Frees what the writer holds (not a buffer already taken by finish).
void hjson_writer_destroy(hjson_writer_t* w);
bool hjson_writer_begin_array(hjson_writer_t* w);
bool hjson_writer_end_array(hjson_writer_t* w);
bool hjson_writer_begin_object(hjson_writer_t* w);
bool hjson_writer_end_object(hjson_writer_t* w);
bool hjson_writer_key(hjson_writer_t* w, const char* s, size_t len);
bool hjson_writer_string(hjson_writer_t* w, const char* s, size_t len);
bool hjson_writer_int(hjson_writer_t* w, int64_t i);
bool hjson_writer_double(hjson_writer_t* w, double d);  // non-finite: HJSON_ERR_NONFINITE
bool hjson_writer_bool(hjson_writer_t* w, bool b);
bool hjson_writer_null(hjson_writer_t* w);
bool hjson_writer_value(hjson_writer_t* w, const hjson_val_t* v);  // a whole DOM subtree
// Checks the value is complete and hands the text over to *out (then the
// writer holds nothing; destroy is still allowed). False on any error.
bool hjson_writer_finish(hjson_writer_t* w, hjson_buf_t* out);
// The writer's first error (code HJSON_OK while fine).
static inline const hjson_error_t* hjson_writer_error(const hjson_writer_t* w);

// Writes s[0..len) as a JSON string literal with quotes into out, which must
// hold 6 * len + 2 bytes; returns the bytes written. Bytes are not checked
// for UTF-8 (the writers above check). Escapes as hjson_write.
size_t hjson_escape(const char* s, size_t len, char* out);
// True when s[0..len) is valid UTF-8 (RFC 3629: no overlongs, no surrogates,
// nothing above U+10FFFF).
bool hjson_utf8_valid(const char* s, size_t len);

// ----- Numbers to text -----
// Writes v as Python's repr(float) does: the shortest digits that read back
// as v (among those, the closest to v), fixed notation when the
// decimal exponent x is in -4 <= x < 16 ("0.0001", "1000000000000000.0",
// always a '.'), otherwise d[.ddd]e±XX ("1e-05", "1e+16", "2.5e-300").
// "-0.0", "inf", "-inf", "nan" for those values. NUL-terminates; returns the
// length (at most 24).
size_t hjson_dtoa(double v, char out[32]);
// Writes i in decimal, NUL-terminated; returns the length (at most 20).
size_t hjson_itoa(int64_t i, char out[24]);

// ----- Private layout (for the inline accessors only; do not touch) -----
#define HJSON_TAG_TYPE_MASK 0xffu  // tag bits 0..7: hjson_type_t
#define HJSON_TAG_LEN_SHIFT 8      // tag bits 8..63: string length

struct hjson_val_s {
  uint64_t tag;  // type | (string length << 8)
  union {
    bool b;
    int64_t i;
    double d;
    const char* s;   // HJSON_STRING: len + 1 bytes, NUL-terminated
    hjson_ctn_t* c;  // HJSON_ARRAY, HJSON_OBJECT
  } u;
};

struct hjson_ctn_s {
  uint32_t len;         // elements (array) or members (object)
  uint32_t cap;         // entries items can hold
  uint32_t inl;         // entries inline_items holds (0: none); fixes the node's block size
  uint32_t kind;        // HJSON_ARRAY or HJSON_OBJECT
  hjson_val_t* items;   // array: len values; object: key, value, key, value ... (2 * len)
  hjson_ctn_t* link;    // scratch list link used while freeing
  hjson_val_t inline_items[];  // what a parsed container is born with
};

// ----- Inline bodies -----
static inline hjson_type_t hjson_type(const hjson_val_t* v) {
  return v ? (hjson_type_t)(v->tag & HJSON_TAG_TYPE_MASK) : HJSON_NONE;
}
static inline bool hjson_is_null(const hjson_val_t* v) { return hjson_type(v) == HJSON_NULL; }
static inline bool hjson_is_bool(const hjson_val_t* v) { return hjson_type(v) == HJSON_BOOL; }
static inline bool hjson_is_int(const hjson_val_t* v) { return hjson_type(v) == HJSON_INT; }
static inline bool hjson_is_double(const hjson_val_t* v) { return hjson_type(v) == HJSON_DOUBLE; }
static inline bool hjson_is_num(const hjson_val_t* v) {
  hjson_type_t t = hjson_type(v);
  return t == HJSON_INT || t == HJSON_DOUBLE;
}
static inline bool hjson_is_str(const hjson_val_t* v) { return hjson_type(v) == HJSON_STRING; }
static inline bool hjson_is_arr(const hjson_val_t* v) { return hjson_type(v) == HJSON_ARRAY; }
static inline bool hjson_is_obj(const hjson_val_t* v) { return hjson_type(v) == HJSON_OBJECT; }
static inline bool hjson_get_bool(const hjson_val_t* v) { return hjson_is_bool(v) && v->u.b; }
static inline int64_t hjson_get_int(const hjson_val_t* v) { return hjson_is_int(v) ? v->u.i : 0; }
static inline double hjson_get_double(const hjson_val_t* v) { return hjson_is_double(v) ? v->u.d : 0.0; }
static inline double hjson_get_num(const hjson_val_t* v) {
  hjson_type_t t = hjson_type(v);
  return t == HJSON_INT ? (double)v->u.i : t == HJSON_DOUBLE ? v->u.d : 0.0;
}
static inline const char* hjson_get_str(const hjson_val_t* v) { return hjson_is_str(v) ? v->u.s : NULL; }
static inline size_t hjson_get_len(const hjson_val_t* v) {
  hjson_type_t t = hjson_type(v);
  if (t == HJSON_STRING) return (size_t)(v->tag >> HJSON_TAG_LEN_SHIFT);
  if (t == HJSON_ARRAY || t == HJSON_OBJECT) return v->u.c->len;
  return 0;
}
static inline size_t hjson_arr_len(const hjson_val_t* arr) { return hjson_is_arr(arr) ? arr->u.c->len : 0; }
static inline hjson_val_t* hjson_arr_get(const hjson_val_t* arr, size_t i) {
  return hjson_is_arr(arr) && i < arr->u.c->len ? &arr->u.c->items[i] : NULL;
}
static inline size_t hjson_obj_len(const hjson_val_t* obj) { return hjson_is_obj(obj) ? obj->u.c->len : 0; }
static inline hjson_val_t* hjson_obj_key(const hjson_val_t* obj, size_t i) {
  return hjson_is_obj(obj) && i < obj->u.c->len ? &obj->u.c->items[2 * i] : NULL;
}
static inline hjson_val_t* hjson_obj_val(const hjson_val_t* obj, size_t i) {
  return hjson_is_obj(obj) && i < obj->u.c->len ? &obj->u.c->items[2 * i + 1] : NULL;
}
static inline hjson_val_t* hjson_obj_getz(const hjson_val_t* obj, const char* key) {
  return key ? hjson_obj_get(obj, key, strlen(key)) : NULL;
}
static inline const hjson_error_t* hjson_writer_error(const hjson_writer_t* w) { return &w->err; }

#ifdef __cplusplus
}
#endif

#endif  // HJSON_H
