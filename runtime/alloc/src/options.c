/* options.c: runtime options (docs/options.md). One table {default, name} and
   the values beside it (_hak_option_values); values
   come from HAKMEM_<NAME> environment variables read once at init, then from
   hak_config_t / hak_option_set. Reads on slow paths go through
   _hak_option_fast (a relaxed load); nothing here is on a fast path. */
#include <limits.h>
#include <stdlib.h>
#include <strings.h>

#include "hak_internal.h"

// Build-time overrides of the defaults: -DHAK_DEFAULT_PURGE_DELAY_MS=250 etc.
#ifndef HAK_DEFAULT_PURGE_DELAY_MS
#define HAK_DEFAULT_PURGE_DELAY_MS 100
#endif
#ifndef HAK_DEFAULT_SEGMENT_CACHE
#define HAK_DEFAULT_SEGMENT_CACHE 8
#endif
#ifndef HAK_DEFAULT_WHALE_CACHE
#define HAK_DEFAULT_WHALE_CACHE 8
#endif
#ifndef HAK_DEFAULT_WHALE_CACHE_MAX_MB
#define HAK_DEFAULT_WHALE_CACHE_MAX_MB 256
#endif
#ifndef HAK_DEFAULT_PURGE_DIRTY_MAX_KB
#define HAK_DEFAULT_PURGE_DIRTY_MAX_KB 1024
#endif
#ifndef HAK_DEFAULT_PROFILE_SAMPLE
#define HAK_DEFAULT_PROFILE_SAMPLE 512
#endif

typedef struct hak_option_desc_s {
  long init;         // default
  const char* name;  // lower case; the variable is HAKMEM_<NAME upper case>
  bool is_size;      // accepts K/M/G suffixes
} hak_option_desc_t;

static const hak_option_desc_t hak_options[HAK_OPTION_COUNT] = {
    [HAK_OPT_PURGE_DELAY_MS] = {HAK_DEFAULT_PURGE_DELAY_MS, "purge_delay_ms", false},
    [HAK_OPT_STATS] = {0, "stats", false},
    [HAK_OPT_VERBOSE] = {0, "verbose", false},
    [HAK_OPT_CHECK] = {HAK_CHECK_DEFAULT, "check", false},
    [HAK_OPT_PROFILE] = {0, "profile", false},
    [HAK_OPT_PROFILE_SAMPLE] = {HAK_DEFAULT_PROFILE_SAMPLE, "profile_sample", true},
    [HAK_OPT_SEGMENT_CACHE] = {HAK_DEFAULT_SEGMENT_CACHE, "segment_cache", false},
    [HAK_OPT_WHALE_CACHE] = {HAK_DEFAULT_WHALE_CACHE, "whale_cache", false},
    [HAK_OPT_WHALE_CACHE_MAX_MB] = {HAK_DEFAULT_WHALE_CACHE_MAX_MB, "whale_cache_max_mb", false},
    [HAK_OPT_ABORT_ON_INVALID] = {0, "abort_on_invalid", false},
    [HAK_OPT_PURGE_DIRTY_MAX_KB] = {HAK_DEFAULT_PURGE_DIRTY_MAX_KB, "purge_dirty_max_kb", false},
    [HAK_OPT_PROFILE_INTERVAL_MS] = {0, "profile_interval_ms", false},
    [HAK_OPT_PROFILE_SIGNAL] = {0, "profile_signal", false},
    [HAK_OPT_PROFILE_SEED] = {0, "profile_seed", false},
    [HAK_OPT_PROFILE_CRASH] = {1, "profile_crash", false},
};

long _hak_option_values[HAK_OPTION_COUNT];

// Parses a value; returns false when it is not one.
static bool hak_option_parse(const char* s, bool is_size, long* out) {
  static const char* const yes[] = {"1", "on", "true", "yes"};
  static const char* const no[] = {"0", "off", "false", "no"};
  for (size_t i = 0; i < 4; i++) {
    if (strcasecmp(s, yes[i]) == 0) return (*out = 1), true;
    if (strcasecmp(s, no[i]) == 0) return (*out = 0), true;
  }
  char* end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (end == s || errno != 0) return false;
  if (is_size && *end != 0) {
    int shift = 0;
    switch (*end) {
      case 'k': case 'K': shift = 0; break;  // the unit of size options is KiB
      case 'm': case 'M': shift = 10; break;
      case 'g': case 'G': shift = 20; break;
      default: return false;
    }
    end++;
    if (*end == 'i' || *end == 'I') end++;
    if (*end == 'b' || *end == 'B') end++;
    if (v > (LONG_MAX >> shift) || v < (LONG_MIN >> shift)) return false;
    v <<= shift;
  }
  if (*end != 0) return false;
  *out = v;
  return true;
}

void _hak_options_init(void) {
  for (size_t i = 0; i < HAK_OPTION_COUNT; i++) {
    const hak_option_desc_t* d = &hak_options[i];
    long value = d->init;
    char var[64] = "HAKMEM_";
    size_t n = 7;
    for (const char* c = d->name; *c && n + 1 < sizeof(var); c++) var[n++] = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
    var[n] = 0;
    const char* env = _hak_prim_getenv(var);
    if (env != NULL && *env != 0) {
      long v;
      if (hak_option_parse(env, d->is_size, &v)) value = v;
      else _hak_warning("%s=%s is not a valid value; keeping %ld", var, env, d->init);
    }
    __atomic_store_n(&_hak_option_values[i], value, __ATOMIC_RELAXED);
  }
  // HAKMEM_SECURE is a requirement, not a switch: the hardened checks are
  // compiled in or not (docs/security.md). Asking for them from a library
  // without them stops the process rather than run it unprotected.
  const char* secure = _hak_prim_getenv("HAKMEM_SECURE");
  long want;
  if (secure != NULL && *secure != 0) {
    if (!hak_option_parse(secure, false, &want) || (want != 0 && want != 1)) {
      _hak_warning("HAKMEM_SECURE=%s is not 0 or 1; ignored", secure);
    } else if (want == 1 && !HAK_SECURE) {
      _hak_fatal("HAKMEM_SECURE=1 asks for the hardened build, and this library is not one: use libhakmem-secure.so, "
                 "or build with -DHAK_SECURE=ON (docs/security.md)");
    } else if (want == 0 && HAK_SECURE) {
      _hak_warning("HAKMEM_SECURE=0: this is the hardened build, whose checks cannot be turned off");
    }
  }
}

void _hak_options_print(void) {
  for (size_t i = 0; i < HAK_OPTION_COUNT; i++) {
    _hak_message("option %s = %ld", hak_options[i].name, _hak_option_fast((hak_option_t)i));
  }
  _hak_message("build: HAK_DEBUG=%d HAK_VALGRIND=%d HAK_OVERRIDE=%d HAK_SECURE=%d segment %zu KiB, slice %zu KiB, %d size classes",
               HAK_DEBUG, HAK_VALGRIND, HAK_OVERRIDE, HAK_SECURE, HAK_SEGMENT_SIZE >> 10, HAK_SLICE_SIZE >> 10,
               HAK_CLASS_COUNT);
}

// ----- Public (hak_option_get/set and hak_init_ex, which set the process up
// first, are in init.c) -----
void _hak_option_set(hak_option_t option, long value) {
  __atomic_store_n(&_hak_option_values[option], value, __ATOMIC_RELAXED);
}

HAK_API const char* hak_option_name(hak_option_t option) {
  return (unsigned)option < HAK_OPTION_COUNT ? hak_options[option].name : NULL;
}

HAK_API void hak_config_init(hak_config_t* cfg) {
  if (cfg == NULL) return;
  cfg->size = sizeof(*cfg);
  for (size_t i = 0; i < HAK_OPTION_COUNT; i++) cfg->option[i] = HAK_CONFIG_UNSET;
}

int _hak_options_config(const hak_config_t* cfg) {
  if (cfg == NULL) return 0;
  if (cfg->size != sizeof(*cfg)) return EINVAL;
  for (size_t i = 0; i < HAK_OPTION_COUNT; i++) {
    if (cfg->option[i] != HAK_CONFIG_UNSET) _hak_option_set((hak_option_t)i, cfg->option[i]);
  }
  return 0;
}
