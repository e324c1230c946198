/* hklua.c: stock Lua 5.4 (the system's liblua5.4) on hakmem.

   A runtime we did not write, adopting hakmem the way its users would: the
   state is made with lua_newstate and a lua_Alloc that allocates through
   hak_alloc_at, in a "lua" subsystem registered like any user's, with a site
   per kind of Lua object. When Lua allocates a new object it passes the
   object's type in osize (ptr == NULL): strings, tables, closures
   (functions), userdata and threads get a site each; everything else (table
   parts, stacks, prototypes, buffers) is "lua.other".

   The runner behaves as the stand-alone `lua5.4 FILE [ARGS]`: the same
   libraries, the `arg` table and the script's varargs, LUA_INIT_5_4 /
   LUA_INIT, generational GC, Ctrl-C interrupting the script, the same
   messages for errors (the error object or its __tostring, with a
   traceback), for syntax errors and unreadable files, the same warnings,
   and exit status 0 on success, 1 on error, or what os.exit says. Only the
   interactive mode and lua5.4's other options are left out.

   --profile turns hakmem's per-site profile on and writes it at exit: a
   text report on stderr, or a file (--profile-out F: JSON for *.json, SVG
   for *.svg, text otherwise). Lua does not say which object a free is for,
   so with --profile each block carries a 16-byte header with its site, and
   the profile's live and peak bytes per type are exact (the bytes include
   the header). Without --profile nothing is added to any block.

   At the end, the state's objects are not freed one by one: lua_close runs
   the finalizers, and the whole "lua" heap of the thread is released in
   one call (the subsystem's bulk release; a Lua program's memory is
   otherwise freed object by object at exit).

   Usage: hklua [--profile [--profile-out FILE]] SCRIPT.lua [ARGS...] */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hakmem.h"
#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"

// ----- The allocator -----
enum { HKLUA_OTHER, HKLUA_STRING, HKLUA_TABLE, HKLUA_CLOSURE, HKLUA_USERDATA, HKLUA_THREAD, HKLUA_KINDS };
static const char* const hklua_site_names[HKLUA_KINDS] = {"lua.other",    "lua.string", "lua.table",
                                                          "lua.closure", "lua.userdata", "lua.thread"};

typedef struct hklua_heap_s {
  hak_subsys_t subsys;           // "lua"
  hak_site_t site[HKLUA_KINDS];  // per kind of object
  uint8_t kind_of_type[16];      // Lua type tag (osize of a new object) -> kind
  bool tagged;                   // --profile: each block starts with a header naming its site
  bool closing;                  // lua_close is running: frees are dropped, the heap goes in one call after
} hklua_heap_t;

#define HKLUA_HEADER 16  // keeps blocks 16-aligned

static void hklua_heap_init(hklua_heap_t* h, bool tagged) {
  h->subsys = hak_subsys_register("lua");
  for (int k = 0; k < HKLUA_KINDS; k++) h->site[k] = hak_site_register(h->subsys, hklua_site_names[k]);
  memset(h->kind_of_type, HKLUA_OTHER, sizeof(h->kind_of_type));
  h->kind_of_type[LUA_TSTRING] = HKLUA_STRING;
  h->kind_of_type[LUA_TTABLE] = HKLUA_TABLE;
  h->kind_of_type[LUA_TFUNCTION] = HKLUA_CLOSURE;
  h->kind_of_type[LUA_TUSERDATA] = HKLUA_USERDATA;
  h->kind_of_type[LUA_TTHREAD] = HKLUA_THREAD;
  h->tagged = tagged;
}

// A resize. Lua assumes a shrink never fails: if the allocator cannot move
// the block, the old, larger one is kept.
static __attribute__((noinline)) void* hklua_resize(void* ptr, size_t osize, size_t nsize, hak_site_t site) {
  void* q = hak_realloc_at(ptr, nsize, site);
  return q != NULL || nsize > osize ? q : ptr;
}

static __attribute__((noinline)) void* hklua_alloc_tagged(const hklua_heap_t* h, void* ptr, size_t osize, size_t nsize);

// Lua's allocation function: free (nsize 0), new object or buffer (ptr
// NULL, osize its type), resize. Each case ends in a tail call, so the hook
// itself keeps no frame.
static void* hklua_alloc(void* ud, void* ptr, size_t osize, size_t nsize) {
  const hklua_heap_t* h = ud;
  if (__builtin_expect(h->tagged, 0)) return hklua_alloc_tagged(h, ptr, osize, nsize);
  if (nsize == 0) {
    if (!h->closing) hak_free_at(ptr, h->site[HKLUA_OTHER]);
    return NULL;
  }
  if (ptr == NULL) return hak_alloc_at(nsize, h->site[h->kind_of_type[osize & 15]]);
  return hklua_resize(ptr, osize, nsize, h->site[HKLUA_OTHER]);
}

// With --profile: the header remembers the site for the free.
static void* hklua_alloc_tagged(const hklua_heap_t* h, void* ptr, size_t osize, size_t nsize) {
  if (ptr == NULL) {
    if (nsize == 0) return NULL;
    hak_site_t site = h->site[h->kind_of_type[osize & 15]];
    uint8_t* b = hak_alloc_at(nsize + HKLUA_HEADER, site);
    if (b == NULL) return NULL;
    memcpy(b, &site, sizeof(site));
    return b + HKLUA_HEADER;
  }
  uint8_t* b = (uint8_t*)ptr - HKLUA_HEADER;
  hak_site_t site;
  memcpy(&site, b, sizeof(site));
  if (nsize == 0) {
    hak_free_at(b, site);
    return NULL;
  }
  uint8_t* q = hak_realloc_at(b, nsize + HKLUA_HEADER, site);
  if (q == NULL) return nsize > osize ? NULL : ptr;
  return q + HKLUA_HEADER;
}

// ----- What luaL_newstate adds: panic and warning functions -----
static int hklua_panic(lua_State* L) {
  const char* msg = lua_tostring(L, -1);
  if (msg == NULL) msg = "error object is not a string";
  lua_writestringerror("PANIC: unprotected error in call to Lua API (%s)\n", msg);
  return 0;
}

// Warnings are off until "@on"; a message may come in pieces (tocont).
static void hklua_warn_off(void* ud, const char* msg, int tocont);
static void hklua_warn_on(void* ud, const char* msg, int tocont);
static void hklua_warn_cont(void* ud, const char* msg, int tocont);

static int hklua_warn_control(lua_State* L, const char* msg, int tocont) {
  if (tocont || *msg != '@') return 0;
  if (strcmp(msg, "@off") == 0) lua_setwarnf(L, hklua_warn_off, L);
  else if (strcmp(msg, "@on") == 0) lua_setwarnf(L, hklua_warn_on, L);
  return 1;  // other control messages are ignored
}

static void hklua_warn_off(void* ud, const char* msg, int tocont) {
  hklua_warn_control((lua_State*)ud, msg, tocont);
}

static void hklua_warn_cont(void* ud, const char* msg, int tocont) {
  lua_writestringerror("%s", msg);
  if (tocont) {
    lua_setwarnf((lua_State*)ud, hklua_warn_cont, ud);
  } else {
    lua_writestringerror("%s", "\n");
    lua_setwarnf((lua_State*)ud, hklua_warn_on, ud);
  }
}

static void hklua_warn_on(void* ud, const char* msg, int tocont) {
  if (hklua_warn_control((lua_State*)ud, msg, tocont)) return;
  lua_writestringerror("%s", "Lua warning: ");
  hklua_warn_cont(ud, msg, tocont);
}

// ----- The stand-alone runner -----
static const char* progname = "hklua";
static lua_State* running;  // for the SIGINT handler

static void hklua_message(const char* msg) {
  lua_writestringerror("%s: ", progname);
  lua_writestringerror("%s\n", msg);
}

// Reports a failed call's message (status != LUA_OK); returns status.
static int hklua_report(lua_State* L, int status) {
  if (status != LUA_OK) {
    const char* msg = lua_tostring(L, -1);
    hklua_message(msg != NULL ? msg : "(error object is not a string)");
    lua_pop(L, 1);
  }
  return status;
}

// The message handler: the error object as a string (or what its
// __tostring gives, without traceback), with a traceback.
static int hklua_msghandler(lua_State* L) {
  const char* msg = lua_tostring(L, 1);
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

// Ctrl-C: stop the script at its next call, return or instruction.
static void hklua_stop(lua_State* L, lua_Debug* ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  luaL_error(L, "interrupted!");
}

static void hklua_sigint(int sig) {
  signal(sig, SIG_DFL);  // a second Ctrl-C ends the process
  lua_sethook(running, hklua_stop, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

static int hklua_call(lua_State* L, int narg, int nres) {
  int base = lua_gettop(L) - narg;
  lua_pushcfunction(L, hklua_msghandler);
  lua_insert(L, base);
  running = L;
  signal(SIGINT, hklua_sigint);
  int status = lua_pcall(L, narg, nres, base);
  signal(SIGINT, SIG_DFL);
  lua_remove(L, base);
  return status;
}

// LUA_INIT_5_4 or LUA_INIT: "@file" runs the file, anything else is a chunk.
static int hklua_init_env(lua_State* L) {
  const char* name = "=LUA_INIT_5_4";
  const char* init = getenv(name + 1);
  if (init == NULL) {
    name = "=LUA_INIT";
    init = getenv(name + 1);
  }
  if (init == NULL) return LUA_OK;
  int status = init[0] == '@' ? luaL_loadfile(L, init + 1) : luaL_loadbuffer(L, init, strlen(init), name);
  if (status == LUA_OK) status = hklua_call(L, 0, 0);
  return hklua_report(L, status);
}

typedef struct hklua_args_s {
  char** argv;
  int argc;
  int script;  // index of the script in argv
} hklua_args_t;

// arg[0] is the script, arg[1..] its arguments, arg[-1..] what came before.
static void hklua_arg_table(lua_State* L, const hklua_args_t* a) {
  lua_createtable(L, a->argc - a->script - 1, a->script + 1);
  for (int i = 0; i < a->argc; i++) {
    lua_pushstring(L, a->argv[i]);
    lua_rawseti(L, -2, i - a->script);
  }
  lua_setglobal(L, "arg");
}

static int hklua_script(lua_State* L, const hklua_args_t* a) {
  int status = luaL_loadfile(L, a->argv[a->script]);
  if (status == LUA_OK) {
    int n = a->argc - a->script - 1;
    luaL_checkstack(L, n + 3, "too many arguments to script");
    for (int i = 1; i <= n; i++) lua_pushstring(L, a->argv[a->script + i]);
    status = hklua_call(L, n, LUA_MULTRET);
  }
  return hklua_report(L, status);
}

// Runs in protected mode, as the stand-alone interpreter's main function.
static int hklua_main(lua_State* L) {
  const hklua_args_t* a = lua_touserdata(L, 1);
  luaL_checkversion(L);
  luaL_openlibs(L);
  hklua_arg_table(L, a);
  lua_gc(L, LUA_GCRESTART);
  lua_gc(L, LUA_GCGEN, 0, 0);
  if (hklua_init_env(L) != LUA_OK || hklua_script(L, a) != LUA_OK) return 0;
  lua_pushboolean(L, 1);
  return 1;
}

// ----- Profile at exit (also after os.exit) -----
// The data file; `hakmem report FILE` renders it.
static const char* profile_out;

static void hklua_profile_at_exit(void) {
  const char* path = profile_out != NULL ? profile_out : "hklua.%p.hprof";
  int rc = hak_profile_write(path);
  if (rc != 0) fprintf(stderr, "%s: cannot write the profile to %s: %s\n", progname, path, strerror(rc));
  else if (profile_out == NULL) fprintf(stderr, "%s: profile written to hklua.%ld.hprof (hakmem report renders it)\n", progname, (long)getpid());
}

static int hklua_usage(void) {
  fprintf(stderr, "usage: %s [--profile [--profile-out FILE]] SCRIPT.lua [ARGS...]\n", progname);
  return EXIT_FAILURE;
}

int main(int argc, char** argv) {
  if (argv[0] != NULL && argv[0][0] != 0) progname = argv[0];
  bool profile = false;
  int script = 1;
  for (; script < argc && argv[script][0] == '-' && argv[script][1] == '-'; script++) {
    if (strcmp(argv[script], "--profile") == 0) {
      profile = true;
    } else if (strcmp(argv[script], "--profile-out") == 0 && script + 1 < argc) {
      profile = true;
      profile_out = argv[++script];
    } else if (strcmp(argv[script], "--") == 0) {
      script++;
      break;
    } else {
      fprintf(stderr, "%s: unknown option '%s'\n", progname, argv[script]);
      return hklua_usage();
    }
  }
  if (script >= argc) return hklua_usage();
  static hklua_heap_t heap;
  hklua_heap_init(&heap, profile);
  if (profile) {
    hak_profile_enable(true);
    atexit(hklua_profile_at_exit);
  }
  lua_State* L = lua_newstate(hklua_alloc, &heap);
  if (L == NULL) {
    hklua_message("cannot create state: not enough memory");
    return EXIT_FAILURE;
  }
  lua_atpanic(L, hklua_panic);
  lua_setwarnf(L, hklua_warn_off, L);
  lua_gc(L, LUA_GCSTOP);  // until the libraries are loaded
  hklua_args_t args = {argv, argc, script};
  lua_pushcfunction(L, hklua_main);
  lua_pushlightuserdata(L, &args);
  int status = lua_pcall(L, 1, 1, 0);
  int result = lua_toboolean(L, -1);
  hklua_report(L, status);
  // Closing the state frees every object one by one; all of them are in
  // this thread's "lua" heap, which goes back in one call instead (without
  // --profile: the profile wants each object's free). Finalizers still run
  // (lua_close calls them) and may allocate; those blocks go with the heap.
  heap.closing = !heap.tagged;
  lua_close(L);
  if (heap.closing) hak_heap_release(heap.subsys);
  return result && status == LUA_OK ? EXIT_SUCCESS : EXIT_FAILURE;
}
