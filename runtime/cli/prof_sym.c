/* prof_sym.c: names the return addresses of a profile at report time.

   Every unique address A is looked up in its `map`: the object address is
   A - 1 - BIAS (a return address points after the call). The addresses of one
   object go through ONE `addr2line -a -f -i -C -e PATH` process (addresses on
   its stdin, written and read with poll so that neither pipe fills up); -i
   gives inlined frames, innermost first, kept as separate frames of the
   location. A frame addr2line cannot name (`??`) is named `OBJECT+0xOFFSET`
   (OBJECT the file's base name, OFFSET the address given to addr2line); so
   are all frames of an object that is missing, unreadable or rebuilt since
   the profile (its GNU build id differs), and all frames when addr2line
   cannot be run, each case with one warning. An address in no map is named
   by its hexadecimal value. HAKMEM_ADDR2LINE names another addr2line. */
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

// Names the n locations idx[] of map m through one addr2line; false when addr2line could not run.
static bool sym_object(prof_t* p, long m, const size_t* idx, size_t n, const char* a2l) {
  const prof_map_t* map = &p->maps[m];
  prof_buf_t in = {0}, out = {0};
  for (size_t i = 0; i < n; i++) {
    char line[32];
    int len = snprintf(line, sizeof(line), "0x%" PRIx64 "\n", p->locs[idx[i]].addr - 1 - map->bias);
    prof_buf_put(&in, line, (size_t)len);
  }
  char* argv[] = {(char*)a2l, "-a", "-f", "-i", "-C", "-e", map->path, NULL};
  void (*old)(int) = signal(SIGPIPE, SIG_IGN);
  int rc = sym_pipe_run(argv, &in, &out);
  signal(SIGPIPE, old);
  bool ran = rc != 127 && rc != 126;
  if (ran) sym_parse_output(p, idx, n, &out);
  prof_buf_free(&in);
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
