/* fixture.c: writes a profile data file (docs/profile-format.md) about its own
   functions, with known values, so that `hakmem report` can be tested without
   the allocator: `map` lines of its loaded objects from dl_iterate_phdr, and
   stacks of real return addresses taken with __builtin_return_address (plus
   one function address + 1), so that addr2line names them.

   usage: fixture OUT.hprof [--no-end]   (--no-end: leave out the `end` line)

   Stacks (leaf first) and their sample values (alloc_objects alloc_space
   inuse_objects inuse_space peak_objects peak_space):
     1 fixture_alloc_small < fixture_middle < main        64 2 MiB  32 1 MiB  40 1.25 MiB
     2 fixture_alloc_big < fixture_middle < main          16 8 MiB   6 3 MiB   8 4 MiB
     3 fixture_inlined (inlined in fixture_outer) < main   4 4 MiB   2 2 MiB   2 2 MiB
     4 xmalloc_wrapper < fixture_user < main               8 1 MiB   8 1 MiB   0 0
     5 fixture_entry (its first byte + 1) < main            1 5 MiB   1 5 MiB   1 5 MiB
     6 0x10 (in no map) < main                             1 1 KiB   0 0       1 1 KiB
     7 no frames                                           2 2 KiB   1 1 KiB   1 1 KiB
   and two sites (json.parse.string: 4 MiB live; a VM stack: 512 KiB live). */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uintptr_t at_small, at_big, at_middle, at_inlined, at_outer, at_wrapper, at_user, at_main;

// The return address of its call: an address inside the caller.
__attribute__((noinline)) uintptr_t fixture_here(void) { return (uintptr_t)__builtin_return_address(0); }

__attribute__((noinline)) void fixture_alloc_small(void) { at_small = fixture_here(); }
__attribute__((noinline)) void fixture_alloc_big(void) { at_big = fixture_here(); }

__attribute__((noinline)) void fixture_middle(void) {
  fixture_alloc_small();
  fixture_alloc_big();
  at_middle = fixture_here();
}

static inline __attribute__((always_inline)) void fixture_inlined(void) { at_inlined = fixture_here(); }

__attribute__((noinline)) void fixture_outer(void) {
  fixture_inlined();
  at_outer = fixture_here();
}

__attribute__((noinline)) void xmalloc_wrapper(void) { at_wrapper = fixture_here(); }

__attribute__((noinline)) void fixture_user(void) {
  xmalloc_wrapper();
  at_user = fixture_here();
}

__attribute__((noinline)) int fixture_entry(int x) { return x * 3 + 1; }

// The GNU build id of an object from its PT_NOTE segments, "-" without one.
static void fixture_build_id(const struct dl_phdr_info* info, char* out, size_t size) {
  snprintf(out, size, "-");
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)* ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_NOTE) continue;
    const uint8_t* p = (const uint8_t*)(info->dlpi_addr + ph->p_vaddr);
    const uint8_t* end = p + ph->p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      const ElfW(Nhdr)* nh = (const ElfW(Nhdr)*)p;
      const uint8_t* name = p + sizeof(*nh);
      const uint8_t* desc = name + ((nh->n_namesz + 3) & ~3u);
      if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && !memcmp(name, "GNU", 4) && nh->n_descsz * 2 < size) {
        for (size_t k = 0; k < nh->n_descsz; k++) snprintf(out + 2 * k, 3, "%02x", desc[k]);
        return;
      }
      p = desc + ((nh->n_descsz + 3) & ~3u);
    }
  }
}

static int fixture_map(struct dl_phdr_info* info, size_t size, void* arg) {
  FILE* out = arg;
  char path[4096];
  if (!info->dlpi_name || !info->dlpi_name[0]) {
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
    if (n <= 0) return 0;
    path[n] = 0;
  } else if (info->dlpi_name[0] == '/') {
    snprintf(path, sizeof(path), "%s", info->dlpi_name);
  } else {
    return 0;  // linux-vdso.so.1: no file
  }
  char id[128];
  fixture_build_id(info, id, sizeof(id));
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)* ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
    uintptr_t start = info->dlpi_addr + ph->p_vaddr;
    fprintf(out, "map 0x%lx 0x%lx 0x%lx 0x%lx %s %s\n", (unsigned long)start, (unsigned long)(start + ph->p_memsz),
            (unsigned long)ph->p_offset, (unsigned long)info->dlpi_addr, id, path);
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: fixture OUT.hprof [--no-end]\n");
    return 2;
  }
  fixture_middle();
  fixture_outer();
  fixture_user();
  at_main = fixture_here();
  FILE* out = fopen(argv[1], "w");
  if (!out) {
    perror(argv[1]);
    return 1;
  }
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  exe[n > 0 ? n : 0] = 0;
  fprintf(out, "hakmem-profile 1\npid %ld\nexe %s\nstart 1765134000.125\ntime 1765134000.625\nreason exit\ninterval 524288\n",
          (long)getpid(), exe);
  fprintf(out, "future-keyword this line is ignored by readers of format 1\n");
  dl_iterate_phdr(fixture_map, out);
  fprintf(out, "stack 1 3 0x%lx 0x%lx 0x%lx\n", (unsigned long)at_small, (unsigned long)at_middle, (unsigned long)at_main);
  fprintf(out, "stack 2 3 0x%lx 0x%lx 0x%lx\n", (unsigned long)at_big, (unsigned long)at_middle, (unsigned long)at_main);
  fprintf(out, "stack 3 2 0x%lx 0x%lx\n", (unsigned long)at_inlined, (unsigned long)at_main);
  fprintf(out, "stack 4 3 0x%lx 0x%lx 0x%lx\n", (unsigned long)at_wrapper, (unsigned long)at_user, (unsigned long)at_main);
  fprintf(out, "stack 5 2 0x%lx 0x%lx\n", (unsigned long)(uintptr_t)fixture_entry + 1, (unsigned long)at_main);
  fprintf(out, "stack 6 2 0x10 0x%lx\n", (unsigned long)at_main);
  fprintf(out, "stack 7 0\n");
  fprintf(out, "sample 1 64 2097152 32 1048576 40 1310720\n");
  fprintf(out, "sample 2 16 8388608 6 3145728 8 4194304\n");
  fprintf(out, "sample 3 4 4194304 2 2097152 2 2097152\n");
  fprintf(out, "sample 4 8 1048576 8 1048576 0 0\n");
  fprintf(out, "sample 5 1 5242880 1 5242880 1 5242880\n");
  fprintf(out, "sample 6 1 1024 0 0 1 1024\n");
  fprintf(out, "sample 7 2 2048 1 1024 1 1024\n");
  fprintf(out, "site 1 json 1 100 6291456 60 2097152 4194304 5242880 json.parse.string\n");
  fprintf(out, "site 2 vm 1 50 1048576 25 524288 524288 1048576 main@prog.hk:3;f@prog.hk:10;vm.array\n");
  fprintf(out, "timeline 0 0\ntimeline 100 1048576\ntimeline 200 8388608\ntimeline 300 16777216\ntimeline 400 12582912\n");
  fprintf(out, "peak 300 16777216\n");
  if (argc < 3 || strcmp(argv[2], "--no-end")) fprintf(out, "end\n");
  fprintf(stdout, "fixture: %d\n", fixture_entry(1));  // fixture_entry is called: not optimized away
  return fclose(out) == 0 ? 0 : 1;
}
