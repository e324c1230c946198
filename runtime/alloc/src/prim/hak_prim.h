/* hak_prim.h: the allocator's only door to the OS (implemented in prim/prim.c).

   Contract for every function here:
   - int results: 0 on success, an errno value (ENOMEM, EINVAL, ...) on failure;
   - out-parameters are non-NULL and written only on success;
   - addresses and sizes are multiples of the OS page size (4 KiB or larger);
   - none of them allocates memory through malloc or calls back into hakmem,
     so they are safe inside malloc itself, before init and after fork. */
#ifndef HAK_PRIM_H
#define HAK_PRIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Maps `size` bytes of zeroed read-write memory aligned to `align` (a power of
// two >= the page size). `hint` (NULL: none) is tried first, so that a
// thread's segments tend to be contiguous; the result may be elsewhere.
int _hak_prim_map(size_t size, size_t align, void* hint, void** out);
int _hak_prim_unmap(void* addr, size_t size);
// Gives the pages back to the OS; they read as zero afterwards.
int _hak_prim_purge(void* addr, size_t size);
// Grows or shrinks a mapping in place.
int _hak_prim_remap_inplace(void* addr, size_t old_size, size_t new_size);
// Moves a mapping to `dest` (a mapping of new_size the caller made and gives up).
int _hak_prim_remap_to(void* addr, size_t old_size, size_t new_size, void* dest);
// Hardened builds' guard pages: makes the pages inaccessible (any access
// faults), or read-write again. Fails like mmap (the count of mappings is
// bounded, and a guard splits one).
int _hak_prim_guard(void* addr, size_t size);
int _hak_prim_unguard(void* addr, size_t size);
// Hardened builds' kept address ranges: releases the pages of a mapping and
// keeps its range reserved (inaccessible), or maps fresh zeroed read-write
// pages over part of such a range again.
int _hak_prim_reserve(void* addr, size_t size);
int _hak_prim_commit(void* addr, size_t size);

size_t _hak_prim_page_size(void);
// `n` bytes from the kernel's random source (getrandom); 0 or its errno.
int _hak_prim_random(void* buf, size_t n);
// HAK_FAULTS builds (tests): the OS says yes again from now on (prim.c).
void _hak_prim_fault_stop(void);
// n rounded up to whole OS pages (n <= SIZE_MAX - page size).
size_t _hak_prim_page_round(size_t n);
// Zeroed pages for at least `size` bytes of the library's own tables (NULL
// when the OS refuses), and their release with the same size.
void* _hak_prim_pages(size_t size);
void _hak_prim_pages_free(void* p, size_t size);
int64_t _hak_prim_clock_ms(void);      // monotonic milliseconds
size_t _hak_prim_rss(void);            // resident set size now, bytes (0 if unknown)
size_t _hak_prim_rss_peak(void);       // peak resident set size, bytes (0 if unknown)
const char* _hak_prim_getenv(const char* name);  // NULL if unset
void _hak_prim_write_err(const char* s, size_t len);  // to fd 2, unbuffered

// Calls on_exit(tld) when a thread that registered a value exits.
int _hak_prim_thread_key_init(void (*on_exit)(void* value));
void _hak_prim_thread_key_set(void* value);
// No thread-exit call any more (the library is being unloaded).
void _hak_prim_thread_key_delete(void);
int _hak_prim_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void));

#endif  // HAK_PRIM_H
