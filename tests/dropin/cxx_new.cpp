// cxx_new.cpp: C++'s operators new and delete under the drop-in allocator.
// Every form (plain, array, nothrow, aligned, sized delete) must be served by
// hakmem itself (hak_usable_size knows the block, the allocation counter
// moves by one per new), aligned forms must honour their alignment, and the
// failure semantics must be C++'s: a throwing new of an impossible size
// calls the new_handler and throws std::bad_alloc, a nothrow new returns
// nullptr. Run under LD_PRELOAD=libhakmem.so, or linked with
// libhakmem-override.a.
#include <dlfcn.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "hakmem.h"

static int failures;
#define CHECK(c)                                                      \
  do {                                                                \
    if (!(c)) {                                                       \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
      failures++;                                                     \
    }                                                                 \
  } while (0)

typedef size_t (*usable_fn)(const void*);
typedef void (*stats_fn)(hak_stats_t*);
static usable_fn usable;
static stats_fn stats;

static uint64_t allocs() {
  hak_stats_t s;
  s.size = sizeof(s);
  stats(&s);
  return s.alloc_count;
}

struct alignas(64) Line {
  char bytes[64];
};
struct alignas(4096) Page {
  char bytes[100];
};

static int handler_calls;
static void on_out_of_memory() {
  handler_calls++;
  std::set_new_handler(nullptr);  // the next failure throws
}

int main() {
  usable = (usable_fn)dlsym(RTLD_DEFAULT, "hak_usable_size");
  stats = (stats_fn)dlsym(RTLD_DEFAULT, "hak_stats_get");
  if (usable == nullptr || stats == nullptr) {
    std::fprintf(stderr, "cxx_new: hakmem is not in the process (run it under LD_PRELOAD=libhakmem.so)\n");
    return 1;
  }
  // Each form, one allocation each, served by hakmem.
  uint64_t a0 = allocs();
  int* one = new int(7);
  uint64_t a1 = allocs();
  CHECK(a1 == a0 + 1);
  CHECK(usable(one) >= sizeof(int));
  delete one;

  char* arr = new char[3000];  // the mid tier
  CHECK(usable(arr) >= 3000);
  delete[] arr;

  int* nt = new (std::nothrow) int[10];
  CHECK(nt != nullptr && usable(nt) >= 10 * sizeof(int));
  delete[] nt;

  Line* line = new Line;
  CHECK(((uintptr_t)line & 63) == 0 && usable(line) >= sizeof(Line));
  delete line;
  Page* pages = new Page[3];
  CHECK(((uintptr_t)pages & 4095) == 0 && usable(pages) >= 3 * sizeof(Page));
  delete[] pages;
  Page* ntp = new (std::nothrow) Page;
  CHECK(ntp != nullptr && ((uintptr_t)ntp & 4095) == 0);
  delete ntp;

  // Sized delete (what -fsized-deallocation emits for complete types).
  for (int i = 0; i < 1000; i++) {
    long* p = new long[i + 1];
    p[i] = i;
    ::operator delete[](p, sizeof(long) * (size_t)(i + 1));
  }
  void* raw = ::operator new(100);
  ::operator delete(raw, 100);
  void* al = ::operator new(256, std::align_val_t(128));
  CHECK(((uintptr_t)al & 127) == 0 && usable(al) >= 256);
  ::operator delete(al, 256, std::align_val_t(128));
  uint64_t a2 = allocs();
  CHECK(a2 >= a1 + 1000 + 7);  // arr, nt, line, pages, ntp, raw, al and the loop

  // Failure: nothrow gives nullptr; throwing calls the handler, then throws.
  size_t huge = (size_t)1 << 62;
  void* none = ::operator new(huge, std::nothrow);
  CHECK(none == nullptr);
  void* none_al = ::operator new(huge, std::align_val_t(64), std::nothrow);
  CHECK(none_al == nullptr);
  std::set_new_handler(on_out_of_memory);
  bool threw = false;
  try {
    void* p = ::operator new(huge);
    std::fprintf(stderr, "operator new(2^62) returned %p\n", p);
  } catch (const std::bad_alloc&) {
    threw = true;
  }
  CHECK(threw);
  CHECK(handler_calls == 1);
  threw = false;
  try {
    char* p = new char[huge];
    std::fprintf(stderr, "new char[2^62] returned %p\n", (void*)p);
  } catch (const std::bad_alloc&) {
    threw = true;
  }
  CHECK(threw);

  if (failures != 0) return 1;
  std::printf("cxx_new: every form of new and delete served by hakmem; failures reported as C++ requires\n");
  return 0;
}
