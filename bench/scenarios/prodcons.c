/* prodcons.c: producer/consumer pairs, every free is remote.

   `pairs` producer threads each allocate `blocks` blocks of mixed sizes
   (70% 8..128 B, 25% 129 B..1 KiB, 5% 1..16 KiB), fill them, stamp a header
   (sequence number, size, check byte) and pass them through a bounded
   single-producer single-consumer ring to their own consumer thread, which
   verifies and frees them. So every block is freed by a thread other than
   the one that allocated it: the allocator's remote-free path (and how it
   gives the memory back to the producer) carries the whole load, next to a
   plain thread-local allocation path. The ring holds `ring` blocks in
   flight; when it is full the producer waits, when it is empty the consumer
   waits (spinning briefly, yielding, then sleeping: with more threads than
   cores the other side needs the CPU). Work is fixed per pair; the result
   is blocks per second over all pairs.

   Usage: prodcons [blocks=1000000] [pairs=1] [ring=1024] [seed=1]
   (2 * pairs threads run.) */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

// ----- The ring -----
// One producer, one consumer. head is written only by the consumer, tail
// only by the producer; each lives on its own cache line. Slots [head, tail)
// hold blocks in flight. Capacity is a power of two.
// A side that finds the ring full (producer) or empty (consumer) spins a
// little, yields a little, then sleeps on the condition variable after
// raising its `sleeping` flag; the other side checks the flag after each
// step and wakes it. Flag and index are both seq_cst (store then load on
// each side), so a wake-up is never lost; the wake itself happens under the
// mutex, after the sleeper has re-checked. With more threads than cores
// (4 pairs on 2 cores) waiters sleep instead of burning the CPU the other
// side needs.
typedef struct pc_ring_s {
  _Alignas(64) atomic_size_t head;  // next slot to take (consumer)
  _Alignas(64) atomic_size_t tail;  // next slot to fill (producer)
  _Alignas(64) size_t mask;         // capacity - 1
  void** slots;                     // capacity entries
  atomic_int sleeping[2];           // [0] producer waits for room, [1] consumer waits for a block
  pthread_mutex_t lock;             // guards the sleeps
  pthread_cond_t wake[2];           // per side
} pc_ring_t;

#define PC_SPIN 64    // pause rounds before yielding
#define PC_YIELD 16   // yields before sleeping

static bool pc_ring_full(pc_ring_t* r, size_t t) { return t - atomic_load(&r->head) > r->mask; }
static bool pc_ring_empty(pc_ring_t* r, size_t h) { return atomic_load(&r->tail) == h; }

// Waits while blocked(r, i) holds; side 0 producer, 1 consumer.
static void pc_wait(pc_ring_t* r, int side, size_t i, bool (*blocked)(pc_ring_t*, size_t)) {
  for (unsigned n = 0; blocked(r, i); n++) {
    if (n < PC_SPIN) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    } else if (n < PC_SPIN + PC_YIELD) {
      sched_yield();
    } else {
      pthread_mutex_lock(&r->lock);
      atomic_store(&r->sleeping[side], 1);
      while (blocked(r, i)) pthread_cond_wait(&r->wake[side], &r->lock);
      atomic_store(&r->sleeping[side], 0);
      pthread_mutex_unlock(&r->lock);
      return;
    }
  }
}

// Wakes the other side if it sleeps (after this side's index store).
static void pc_wake(pc_ring_t* r, int side) {
  if (atomic_load(&r->sleeping[side]) == 0) return;
  pthread_mutex_lock(&r->lock);
  pthread_cond_signal(&r->wake[side]);
  pthread_mutex_unlock(&r->lock);
}

static void pc_ring_put(pc_ring_t* r, void* p) {
  size_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
  if (pc_ring_full(r, t)) pc_wait(r, 0, t, pc_ring_full);
  r->slots[t & r->mask] = p;
  atomic_store(&r->tail, t + 1);
  pc_wake(r, 1);
}

static void* pc_ring_take(pc_ring_t* r) {
  size_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
  if (pc_ring_empty(r, h)) pc_wait(r, 1, h, pc_ring_empty);
  void* p = r->slots[h & r->mask];
  atomic_store(&r->head, h + 1);
  pc_wake(r, 0);
  return p;
}

// ----- Blocks -----
// The header every block starts with; the rest is filled with the low byte
// of seq.
typedef struct pc_hdr_s {
  uint64_t seq;   // 0, 1, 2 ... per pair: the consumer checks the order too
  uint32_t size;  // bytes of the whole block
  uint32_t check; // seq ^ size ^ PC_MAGIC
} pc_hdr_t;
#define PC_MAGIC 0x5eedf00du

static size_t pc_size(uint64_t* rng) {
  uint64_t r = bench_rand(rng);
  unsigned pick = (unsigned)(r % 100);
  r >>= 8;
  if (pick < 70) return 8 + (size_t)(r % 121);       // 8..128
  if (pick < 95) return 129 + (size_t)(r % 896);     // 129..1024
  return 1025 + (size_t)(r % 15360);                 // 1025..16384
}

// ----- Threads -----
typedef struct pc_pair_s {
  pc_ring_t ring;
  size_t blocks;     // to pass
  uint64_t seed;
  uint64_t bytes;    // allocated by the producer
  size_t bad;        // blocks the consumer found wrong
} pc_pair_t;

static void* pc_producer(void* arg) {
  pc_pair_t* pp = arg;
  uint64_t rng = pp->seed, bytes = 0;
  for (size_t i = 0; i < pp->blocks; i++) {
    size_t size = pc_size(&rng);
    size_t alloc = size < sizeof(pc_hdr_t) ? sizeof(pc_hdr_t) : size;
    unsigned char* b = bench_malloc(alloc);
    if (b == NULL) {
      fprintf(stderr, "prodcons: out of memory\n");
      exit(1);
    }
    memset(b, (int)(i & 0xff), alloc);
    pc_hdr_t h = {i, (uint32_t)alloc, (uint32_t)i ^ (uint32_t)alloc ^ PC_MAGIC};
    memcpy(b, &h, sizeof(h));
    bytes += alloc;
    pc_ring_put(&pp->ring, b);
  }
  pp->bytes = bytes;
  return NULL;
}

static void* pc_consumer(void* arg) {
  pc_pair_t* pp = arg;
  size_t bad = 0;
  for (size_t i = 0; i < pp->blocks; i++) {
    unsigned char* b = pc_ring_take(&pp->ring);
    pc_hdr_t h;
    memcpy(&h, b, sizeof(h));
    unsigned char fill = (unsigned char)(i & 0xff);
    if (h.seq != i || h.check != ((uint32_t)i ^ h.size ^ PC_MAGIC) || h.size < sizeof(pc_hdr_t) ||
        (h.size > sizeof(h) && (b[h.size - 1] != fill || b[sizeof(h) + (h.size - sizeof(h)) / 2] != fill)))
      bad++;
    bench_free(b);
  }
  pp->bad = bad;
  return NULL;
}

int main(int argc, char** argv) {
  size_t blocks = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
  unsigned pairs = argc > 2 ? (unsigned)atoi(argv[2]) : 1;
  size_t ring = argc > 3 ? strtoul(argv[3], NULL, 10) : 1024;
  uint64_t seed = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;
  if (blocks < 1 || pairs < 1 || pairs > 64 || ring < 2 || ring > (1u << 24) || (ring & (ring - 1)) != 0) {
    fprintf(stderr, "usage: prodcons [blocks>=1] [pairs 1..64] [ring: power of two >= 2] [seed]\n");
    return 2;
  }
  pc_pair_t* pp = calloc(pairs, sizeof(*pp));
  pthread_t* th = calloc(2 * (size_t)pairs, sizeof(*th));
  if (pp == NULL || th == NULL) return 1;
  for (unsigned i = 0; i < pairs; i++) {
    pp[i].ring.mask = ring - 1;
    pthread_mutex_init(&pp[i].ring.lock, NULL);
    pthread_cond_init(&pp[i].ring.wake[0], NULL);
    pthread_cond_init(&pp[i].ring.wake[1], NULL);
    pp[i].ring.slots = calloc(ring, sizeof(void*));
    pp[i].blocks = blocks;
    pp[i].seed = seed * 0x9E3779B97F4A7C15ull + i + 1;
    if (pp[i].ring.slots == NULL) return 1;
  }
  double t0 = bench_now();
  for (unsigned i = 0; i < pairs; i++) {
    if (pthread_create(&th[2 * i], NULL, pc_consumer, &pp[i]) != 0 ||
        pthread_create(&th[2 * i + 1], NULL, pc_producer, &pp[i]) != 0) {
      fprintf(stderr, "prodcons: cannot create a thread\n");
      return 1;
    }
  }
  for (unsigned i = 0; i < 2 * pairs; i++) pthread_join(th[i], NULL);
  double elapsed = bench_now() - t0;
  uint64_t bytes = 0;
  size_t bad = 0;
  for (unsigned i = 0; i < pairs; i++) {
    bytes += pp[i].bytes;
    bad += pp[i].bad;
    free(pp[i].ring.slots);
  }
  free(pp);
  free(th);
  size_t total = blocks * pairs;
  printf("prodcons: pairs=%u threads=%u blocks=%zu ring=%zu mb=%.1f seconds=%.3f throughput=%.0f blocks/s peak_rss_kb=%ld\n",
         pairs, 2 * pairs, total, ring, (double)bytes / 1e6, elapsed, (double)total / elapsed, bench_peak_rss_kb());
  if (bad != 0) {
    fprintf(stderr, "prodcons: %zu blocks arrived corrupt or out of order\n", bad);
    return 1;
  }
  bench_report_allocator();
  return 0;
}
