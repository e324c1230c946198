/* out.c: a small buffered writer for the profile data file (profile.c). It
   writes to a file descriptor with write(2) or to a FILE, formats numbers
   itself and never allocates, so the crash path (a fatal signal) can use it.
   The first error sticks in `err` and later output is dropped. */
#include <unistd.h>

#include "hak_internal.h"

void _hak_out_flush(hak_out_t* o) {
  size_t done = 0;
  while (done < o->n && o->err == 0) {
    if (o->file != NULL) {
      size_t k = fwrite(o->buf + done, 1, o->n - done, o->file);
      if (k == 0) o->err = EIO;
      done += k;
    } else {
      ssize_t k = write(o->fd, o->buf + done, o->n - done);
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) o->err = k < 0 ? errno : EIO;
      else done += (size_t)k;
    }
  }
  o->n = 0;
}

void _hak_out_mem(hak_out_t* o, const char* s, size_t len) {
  while (len > 0 && o->err == 0) {
    size_t room = sizeof(o->buf) - o->n;
    size_t k = len < room ? len : room;
    memcpy(o->buf + o->n, s, k);
    o->n += k, s += k, len -= k;
    if (o->n == sizeof(o->buf)) _hak_out_flush(o);
  }
}

void _hak_out_str(hak_out_t* o, const char* s) {
  _hak_out_mem(o, s, strlen(s));
}

// A name field: the rest of the line, so newlines become spaces.
void _hak_out_name(hak_out_t* o, const char* s) {
  for (; *s; s++) {
    char c = *s == '\n' || *s == '\r' ? ' ' : *s;
    _hak_out_mem(o, &c, 1);
  }
}

void _hak_out_u64(hak_out_t* o, uint64_t v) {
  char tmp[24];
  size_t i = sizeof(tmp);
  do tmp[--i] = (char)('0' + v % 10); while ((v /= 10) != 0);
  _hak_out_mem(o, tmp + i, sizeof(tmp) - i);
}

void _hak_out_i64(hak_out_t* o, int64_t v) {
  if (v < 0) {
    _hak_out_mem(o, "-", 1);
    _hak_out_u64(o, (uint64_t)0 - (uint64_t)v);
  } else {
    _hak_out_u64(o, (uint64_t)v);
  }
}

void _hak_out_hex(hak_out_t* o, uint64_t v) {
  char tmp[18];
  size_t i = sizeof(tmp);
  do tmp[--i] = "0123456789abcdef"[v & 15]; while ((v >>= 4) != 0);
  tmp[--i] = 'x';
  tmp[--i] = '0';
  _hak_out_mem(o, tmp + i, sizeof(tmp) - i);
}

// An estimate, rounded to the nearest integer (negative values, which
// rounding of other estimates can leave, print as 0).
void _hak_out_est(hak_out_t* o, double v) {
  _hak_out_u64(o, v <= 0 ? 0 : (uint64_t)(v + 0.5));
}
