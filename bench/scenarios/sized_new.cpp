/* sized_new.cpp: C++'s global operator new and sized operator delete for the
   C scenario programs (larson-sized).

   The scenarios are C; this translation unit gives them the C++ allocation
   path as extern "C" functions: bench_sized_new(size) is
   `::operator new(size)`, bench_sized_delete(p, size) is the sized
   `::operator delete(p, size)` (C++14), which a C++ compiler emits for
   `delete` of a complete type with -fsized-deallocation (GCC's default from
   C++14 on). Under LD_PRELOAD the operators resolve to the preloaded
   library's when it defines them (libhakmem.so, mimalloc, jemalloc and
   tcmalloc do), otherwise to libstdc++'s, which call malloc and free.
   bench_sized_origin() says which library the two operators came from, for
   the scenario's summary line. The calls are made through a separate
   translation unit, so the compiler cannot pair and elide them. */
#include <dlfcn.h>

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <new>

// ----- The operators, for C -----
extern "C" void* bench_sized_new(std::size_t size) { return ::operator new(size); }

extern "C" void bench_sized_delete(void* p, std::size_t size) { ::operator delete(p, size); }

// ----- Where they come from -----
// The file name (without directories) of the object defining the function at
// `fn`, or "?".
static const char* bench_object_of(void* fn) {
  Dl_info info;
  if (dladdr(fn, &info) == 0 || info.dli_fname == nullptr) return "?";
  const char* slash = std::strrchr(info.dli_fname, '/');
  return slash != nullptr ? slash + 1 : info.dli_fname;
}

// "new_from=FILE delete_from=FILE": the objects that define the operator new
// and the sized operator delete this process calls.
extern "C" const char* bench_sized_origin(void) {
  static char text[512];
  void* (*op_new)(std::size_t) = ::operator new;
  void (*op_delete)(void*, std::size_t) = ::operator delete;
  std::snprintf(text, sizeof(text), "new_from=%s delete_from=%s", bench_object_of(reinterpret_cast<void*>(op_new)),
                bench_object_of(reinterpret_cast<void*>(op_delete)));
  return text;
}
