/* prof_sym.c: names the return addresses of a profile at report time.

   Every unique address A is looked up in its `map`: the object address is
   A - 1 - BIAS (a return address points after the call). The addresses of one
   object go through ONE `addr2line -a -f -i -C -e PATH` process (addresses on
   its stdin, written and read with poll so that neither pipe fills up); -i
   gives inlined frames, innermost first, kept as separate frames of the
   location. Without debug info for an address (a function, no file) addr2line
   takes the nearest symbol before it, wherever that symbol ends: the name is
   kept only when a function symbol of that name in the object's .symtab or
   .dynsym (read here, with the sizes; or in its debug file by build id)
   holds the address, C++ names checked mangled through a second addr2line
   without -C. A frame addr2line cannot name (`??`) or whose name is not kept
   is named `OBJECT+0xOFFSET` (OBJECT the file's base name, OFFSET the address
   given to addr2line) and counts as not symbolized; so are all frames of an
   object that is missing, unreadable or rebuilt since the profile (its GNU
   build id differs), and all frames when addr2line cannot be run, each case
   with one warning. An address in no map is named by its hexadecimal value.
   HAKMEM_ADDR2LINE names another addr2line. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "prof.h"

// ----- A child process fed through pipes -----
// Runs argv with input on its stdin, collects its stdout into out (stderr is
// dropped). Returns its exit status, 127 when it could not be started.
static int sym_pipe_run(char* const* argv, const prof_buf_t* in, prof_buf_t* out) {
  int pin[2], pout[2];
  if (pipe2(pin, O_CLOEXEC) != 0) return 127;
  if (pipe2(pout, O_CLOEXEC) != 0) {
    close(pin[0]);
    close(pin[1]);
    return 127;
  }
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(pin[0], 0);
    dup2(pout[1], 1);
    if (null >= 0) dup2(null, 2);
    execvp(argv[0], argv);
    _exit(127);
  }
  close(pin[0]);
  close(pout[1]);
  if (pid < 0) {
    close(pin[1]);
    close(pout[0]);
    return 127;
  }
  fcntl(pin[1], F_SETFL, O_NONBLOCK);
  size_t sent = 0;
  int wfd = pin[1];
  if (in->len == 0) {
    close(wfd);
    wfd = -1;
  }
  for (;;) {
    struct pollfd fds[2] = {{pout[0], POLLIN, 0}, {wfd, POLLOUT, 0}};
    if (poll(fds, wfd >= 0 ? 2 : 1, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (wfd >= 0 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = write(wfd, in->data + sent, in->len - sent);
      if (n > 0) sent += (size_t)n;
      if ((n < 0 && errno != EAGAIN && errno != EINTR) || sent == in->len) {
        close(wfd);
        wfd = -1;
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[65536];
      ssize_t n = read(pout[0], buf, sizeof(buf));
      if (n > 0)
        prof_buf_put(out, buf, (size_t)n);
      else if (n == 0 || (errno != EINTR && errno != EAGAIN))
        break;
    }
  }
  if (wfd >= 0) close(wfd);
  close(pout[0]);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// ----- The object's build id -----
// The GNU build id of an ELF file as hex into hex (2 * 20 + 1 bytes at least); false when it has none.
static bool sym_build_id(const char* path, char* hex, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool found = false;
  Elf64_Ehdr eh;
  if (pread(fd, &eh, sizeof(eh), 0) == (ssize_t)sizeof(eh) && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
      eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr)) {
    for (unsigned i = 0; i < eh.e_phnum && !found; i++) {
      Elf64_Phdr ph;
      if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) != (ssize_t)sizeof(ph)) break;
      if (ph.p_type != PT_NOTE || ph.p_filesz > (1u << 20)) continue;
      uint8_t* notes = prof_xmalloc(ph.p_filesz);
      if (pread(fd, notes, ph.p_filesz, (off_t)ph.p_offset) == (ssize_t)ph.p_filesz) {
        for (size_t off = 0; off + sizeof(Elf64_Nhdr) <= ph.p_filesz && !found;) {
          Elf64_Nhdr nh;
          memcpy(&nh, notes + off, sizeof(nh));
          size_t name_at = off + sizeof(nh), desc_at = name_at + ((nh.n_namesz + 3) & ~3u);
          if (desc_at + nh.n_descsz > ph.p_filesz) break;
          if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && !memcmp(notes + name_at, "GNU", 4) && nh.n_descsz * 2 < size) {
            for (size_t k = 0; k < nh.n_descsz; k++) snprintf(hex + 2 * k, 3, "%02x", notes[desc_at + k]);
            found = true;
          }
          off = desc_at + ((nh.n_descsz + 3) & ~3u);
        }
      }
      free(notes);
    }
  }
  close(fd);
  return found;
}

// ----- The object's function symbols -----
// The functions (STT_FUNC, STT_GNU_IFUNC) of an object's .symtab and .dynsym that have a size, as link-time ranges
// sorted by name: a name addr2line took from a symbol table is checked against them.
typedef struct sym_func_s {
  const char* name;  // into one of the string tables
  uint64_t lo, hi;   // [st_value, st_value + st_size)
} sym_func_t;

typedef struct sym_table_s {
  sym_func_t* funcs;
  size_t nfuncs, cap;
  char** strtabs;  // the string tables the names point into
  size_t nstrtabs, strcap;
  bool read;     // some file was an ELF64 file of the host's byte order
  bool mangled;  // some name is a mangled C++ name (_Z...)
} sym_table_t;

// A section's bytes followed by a NUL, or NULL.
static char* sym_section(int fd, const Elf64_Shdr* sh) {
  if (sh->sh_type == SHT_NOBITS || sh->sh_size > ((uint64_t)1 << 30)) return NULL;
  char* data = prof_xmalloc(sh->sh_size + 1);
  if (pread(fd, data, sh->sh_size, (off_t)sh->sh_offset) != (ssize_t)sh->sh_size) {
    free(data);
    return NULL;
  }
  data[sh->sh_size] = 0;
  return data;
}

// Adds the functions of one symbol table section (and its string table) to t.
static void sym_table_section(sym_table_t* t, int fd, const Elf64_Shdr* symsh, const Elf64_Shdr* strsh) {
  Elf64_Sym* syms = (Elf64_Sym*)sym_section(fd, symsh);
  char* str = syms ? sym_section(fd, strsh) : NULL;
  size_t nsyms = str ? symsh->sh_size / sizeof(Elf64_Sym) : 0, before = t->nfuncs;
  for (size_t k = 0; k < nsyms; k++) {
    Elf64_Sym sym;
    memcpy(&sym, &syms[k], sizeof(sym));
    int type = ELF64_ST_TYPE(sym.st_info);
    if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF || sym.st_size == 0 ||
        sym.st_name >= strsh->sh_size)
      continue;
    prof_grow(&t->funcs, &t->cap, t->nfuncs, sizeof(*t->funcs));
    sym_func_t* f = &t->funcs[t->nfuncs++];
    f->name = str + sym.st_name;
    f->lo = sym.st_value;
    f->hi = sym.st_value + sym.st_size;
    if (f->name[0] == '_' && f->name[1] == 'Z') t->mangled = true;
  }
  free(syms);
  if (t->nfuncs == before) {
    free(str);
    return;
  }
  prof_grow(&t->strtabs, &t->strcap, t->nstrtabs, sizeof(*t->strtabs));
  t->strtabs[t->nstrtabs++] = str;
}

// Adds the functions of the ELF file path's symbol tables to t; nothing when it is not an ELF64 file of the host's
// byte order or cannot be read.
static void sym_table_add(sym_table_t* t, const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  const int host_data = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB;
  Elf64_Ehdr eh;
  if (pread(fd, &eh, sizeof(eh), 0) == (ssize_t)sizeof(eh) && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
      eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_ident[EI_DATA] == host_data && eh.e_shentsize == sizeof(Elf64_Shdr) &&
      eh.e_shnum > 0) {
    size_t size = eh.e_shnum * sizeof(Elf64_Shdr);
    Elf64_Shdr* sh = prof_xmalloc(size);
    if (pread(fd, sh, size, (off_t)eh.e_shoff) == (ssize_t)size) {
      t->read = true;
      for (unsigned i = 0; i < eh.e_shnum; i++) {
        if ((sh[i].sh_type == SHT_SYMTAB || sh[i].sh_type == SHT_DYNSYM) && sh[i].sh_entsize == sizeof(Elf64_Sym) &&
            sh[i].sh_link < eh.e_shnum && sh[sh[i].sh_link].sh_type == SHT_STRTAB)
          sym_table_section(t, fd, &sh[i], &sh[sh[i].sh_link]);
      }
    }
    free(sh);
  }
  close(fd);
}

static int sym_func_cmp(const void* a, const void* b) {
  const sym_func_t *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  return c ? c : (x->lo > y->lo) - (x->lo < y->lo);
}

// The functions of map m's object, and of its separate debug file by build id (Debian's -dbgsym packages) when
// there is one: that is where addr2line finds the names of its static functions.
static void sym_table_load(sym_table_t* t, const prof_map_t* m) {
  memset(t, 0, sizeof(*t));
  sym_table_add(t, m->path);
  if (m->build_id && strlen(m->build_id) > 2) {
    char debug[4200];
    snprintf(debug, sizeof(debug), "/usr/lib/debug/.build-id/%.2s/%s.debug", m->build_id, m->build_id + 2);
    sym_table_add(t, debug);
  }
  if (t->nfuncs) qsort(t->funcs, t->nfuncs, sizeof(*t->funcs), sym_func_cmp);
}

static void sym_table_free(sym_table_t* t) {
  for (size_t i = 0; i < t->nstrtabs; i++) free(t->strtabs[i]);
  free(t->strtabs);
  free(t->funcs);
}

// Whether a function of that name holds the link-time address addr.
static bool sym_table_holds(const sym_table_t* t, const char* name, uint64_t addr) {
  size_t lo = 0, hi = t->nfuncs;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(t->funcs[mid].name, name) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (; lo < t->nfuncs && !strcmp(t->funcs[lo].name, name); lo++) {
    if (addr >= t->funcs[lo].lo && addr < t->funcs[lo].hi) return true;
  }
  return false;
}

// ----- Frames -----
static void sym_set_fallback(prof_t* p, prof_loc_t* l) {
  char name[4200];
  if (l->map >= 0) {
    const prof_map_t* m = &p->maps[l->map];
    snprintf(name, sizeof(name), "%s+0x%" PRIx64, prof_basename(m->path), l->addr - 1 - m->bias);
  } else {
    snprintf(name, sizeof(name), "0x%" PRIx64, l->addr);
  }
  if (l->nframes == 0) {
    l->frames = prof_xmalloc(sizeof(*l->frames));
    memset(l->frames, 0, sizeof(*l->frames));
    l->nframes = 1;
  }
  for (size_t i = 0; i < l->nframes; i++) {
    if (!l->frames[i].func) l->frames[i].func = prof_xstrdup(name);
  }
}

// Parses addr2line's "FILE:LINE" (or "??:0", "FILE:?", "FILE:LINE (discriminator N)") into f.
static void sym_parse_fileline(prof_frame_t* f, char* s) {
  char* disc = strstr(s, " (discriminator");
  if (disc) *disc = 0;
  char* colon = strrchr(s, ':');
  if (colon) *colon = 0;
  if (strcmp(s, "??") && *s) f->file = prof_xstrdup(s);
  if (colon && colon[1] != '?') f->line = strtol(colon + 1, NULL, 10);
}

static bool sym_is_addr_line(const char* s) {
  if (s[0] != '0' || s[1] != 'x' || !s[2]) return false;
  for (s += 2; *s; s++) {
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F'))) return false;
  }
  return true;
}

// Gives the frames of addr2line's output to the n locations idx[] in order.
static void sym_parse_output(prof_t* p, const size_t* idx, size_t n, prof_buf_t* out) {
  prof_buf_byte(out, 0);
  char* save = NULL;
  long k = -1;
  char* func = NULL;
  size_t cap = 0;
  for (char* line = strtok_r((char*)out->data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    if (sym_is_addr_line(line) && !func) {
      if (++k >= (long)n) break;
      cap = 0;
      continue;
    }
    if (k < 0) continue;
    if (!func) {
      func = line;
      continue;
    }
    prof_loc_t* l = &p->locs[idx[k]];
    prof_grow(&l->frames, &cap, l->nframes, sizeof(*l->frames));
    prof_frame_t* f = &l->frames[l->nframes++];
    memset(f, 0, sizeof(*f));
    if (strcmp(func, "??")) f->func = prof_xstrdup(func);
    sym_parse_fileline(f, line);
    func = NULL;
  }
}

// The map's flags, from what its locations got.
static void sym_map_flags(prof_t* p, long m) {
  prof_map_t* map = &p->maps[m];
  map->all_funcs = map->all_files = map->all_lines = true;
  for (size_t i = 0; i < p->nlocs; i++) {
    const prof_loc_t* l = &p->locs[i];
    if (l->map != m) continue;
    if (!l->symbolized) map->all_funcs = false;
    for (size_t k = 0; k < l->nframes; k++) {
      if (!l->frames[k].file) map->all_files = false;
      if (l->frames[k].line <= 0) map->all_lines = false;
    }
  }
}

// Why the object cannot be given to addr2line, or NULL when it can.
static const char* sym_object_problem(const prof_map_t* m, char* why, size_t size) {
  if (m->path[0] != '/') return "";  // [vdso] and the like: no file, nothing to say
  if (access(m->path, R_OK) != 0) {
    snprintf(why, size, "cannot read %s: %s", m->path, strerror(errno));
    return why;
  }
  char id[128];
  if (m->build_id && sym_build_id(m->path, id, sizeof(id)) && strcmp(id, m->build_id)) {
    snprintf(why, size, "%s has changed since the profile was written (build id %s, the file's is %s)", m->path, m->build_id, id);
    return why;
  }
  return NULL;
}

// Runs addr2line on the link-time addresses of the n locations idx[] of map m into out: with -a -f -i -C (inlined
// frames, demangled) when full, with -a -f only otherwise. Returns its exit status, 127 or 126 when it did not run.
static int sym_a2l(const prof_t* p, long m, const size_t* idx, size_t n, const char* a2l, bool full, prof_buf_t* out) {
  const prof_map_t* map = &p->maps[m];
  prof_buf_t in = {0};
  for (size_t i = 0; i < n; i++) {
    char line[32];
    int len = snprintf(line, sizeof(line), "0x%" PRIx64 "\n", p->locs[idx[i]].addr - 1 - map->bias);
    prof_buf_put(&in, line, (size_t)len);
  }
  char* full_argv[] = {(char*)a2l, "-a", "-f", "-i", "-C", "-e", map->path, NULL};
  char* plain_argv[] = {(char*)a2l, "-a", "-f", "-e", map->path, NULL};
  void (*old)(int) = signal(SIGPIPE, SIG_IGN);
  int rc = sym_pipe_run(full ? full_argv : plain_argv, &in, out);
  signal(SIGPIPE, old);
  prof_buf_free(&in);
  return rc;
}

// Points names[0..n) at the function names of `addr2line -a -f` output (one per address, without -i).
static void sym_parse_names(prof_buf_t* out, size_t n, char** names) {
  prof_buf_byte(out, 0);
  char* save = NULL;
  size_t k = 0;
  int after = 2;  // lines read since the last address line
  for (char* line = strtok_r((char*)out->data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    if (after >= 2 && sym_is_addr_line(line)) {
      if (k++ >= n) break;
      after = 0;
    } else if (k > 0 && after++ == 0) {
      names[k - 1] = line;
    }
  }
}

static void sym_drop_name(prof_loc_t* l) {
  free(l->frames[0].func);
  l->frames[0].func = NULL;
}

// Without debug info for an address (one frame, a function, no file) addr2line names it after the nearest symbol
// before it, however far that symbol ends before the address: static functions are not in .dynsym. Such a name is
// kept only when a function of that name in the object's symbol tables holds the address; the others are dropped
// (the fallback names them). A C++ name comes demangled: its location goes through addr2line once more, without -C,
// and is checked mangled. An object whose symbol tables cannot be read keeps addr2line's names.
static void sym_check_names(prof_t* p, long m, const size_t* idx, size_t n, const char* a2l) {
  size_t* check = prof_xmalloc((n ? n : 1) * sizeof(size_t));
  size_t ncheck = 0;
  for (size_t i = 0; i < n; i++) {
    const prof_loc_t* l = &p->locs[idx[i]];
    if (l->nframes == 1 && l->frames[0].func && !l->frames[0].file) check[ncheck++] = idx[i];
  }
  if (ncheck == 0) {
    free(check);
    return;
  }
  sym_table_t t;
  sym_table_load(&t, &p->maps[m]);
  if (t.read) {
    uint64_t bias = p->maps[m].bias;
    size_t nagain = 0;
    for (size_t i = 0; i < ncheck; i++) {
      prof_loc_t* l = &p->locs[check[i]];
      if (sym_table_holds(&t, l->frames[0].func, l->addr - 1 - bias)) continue;
      if (t.mangled)
        check[nagain++] = check[i];
      else
        sym_drop_name(l);
    }
    if (nagain) {
      prof_buf_t out = {0};
      char** names = prof_xmalloc(nagain * sizeof(*names));
      memset(names, 0, nagain * sizeof(*names));
      int rc = sym_a2l(p, m, check, nagain, a2l, false, &out);
      if (rc != 127 && rc != 126) sym_parse_names(&out, nagain, names);
      for (size_t i = 0; i < nagain; i++) {
        prof_loc_t* l = &p->locs[check[i]];
        if (!names[i] || !sym_table_holds(&t, names[i], l->addr - 1 - bias)) sym_drop_name(l);
      }
      free(names);
      prof_buf_free(&out);
    }
  }
  sym_table_free(&t);
  free(check);
}

// Names the n locations idx[] of map m through one addr2line; false when addr2line could not run.
static bool sym_object(prof_t* p, long m, const size_t* idx, size_t n, const char* a2l) {
  prof_buf_t out = {0};
  int rc = sym_a2l(p, m, idx, n, a2l, true, &out);
  bool ran = rc != 127 && rc != 126;
  if (ran) {
    sym_parse_output(p, idx, n, &out);
    sym_check_names(p, m, idx, n, a2l);
  }
  prof_buf_free(&out);
  for (size_t i = 0; i < n; i++) {
    prof_loc_t* l = &p->locs[idx[i]];
    l->symbolized = l->nframes > 0;
    for (size_t k = 0; k < l->nframes; k++) l->symbolized = l->symbolized && l->frames[k].func;
  }
  return ran;
}

void prof_symbolize(prof_t* p, const char* who) {
  const char* a2l = getenv("HAKMEM_ADDR2LINE");
  if (!a2l || !*a2l) a2l = "addr2line";
  bool a2l_ok = true;
  size_t* idx = prof_xmalloc((p->nlocs ? p->nlocs : 1) * sizeof(size_t));
  for (size_t m = 0; m < p->nmaps; m++) {
    if (!p->maps[m].used) continue;
    size_t n = 0;
    for (size_t i = 0; i < p->nlocs; i++) {
      if (p->locs[i].map == (long)m) idx[n++] = i;
    }
    char why[8400];
    const char* problem = sym_object_problem(&p->maps[m], why, sizeof(why));
    if (problem && *problem) {
      fprintf(stderr, "%s: warning: %s; its %zu address%s named %s+0xOFFSET\n", who, problem, n, n == 1 ? " is" : "es are",
              prof_basename(p->maps[m].path));
    }
    if (!problem && a2l_ok && !sym_object(p, (long)m, idx, n, a2l)) {
      fprintf(stderr, "%s: warning: cannot run %s (binutils): frames are named OBJECT+0xOFFSET\n", who, a2l);
      a2l_ok = false;
    }
  }
  free(idx);
  for (size_t i = 0; i < p->nlocs; i++) sym_set_fallback(p, &p->locs[i]);
  for (size_t m = 0; m < p->nmaps; m++) {
    if (p->maps[m].used) sym_map_flags(p, (long)m);
  }
}
