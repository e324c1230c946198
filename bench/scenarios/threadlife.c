/* threadlife.c: what a thread's life costs the allocator, one part at a time.

   Each case creates a thread, lets it do one thing, and joins it, `threads`
   times in a row (so every thread after the first can adopt the heap the
   previous one left):
     bare      nothing: pthread_create + exit + join, the baseline
     first     one malloc and one free: the heap's acquisition (adoption),
               the first allocation, and the heap's abandonment at exit
     local     1000 blocks (16..512 B) allocated and freed by the thread
     handoff   1000 blocks allocated by the thread and freed by the main
               thread after the join: frees into the pages of an exited
               thread, and their adoption by the next thread
   It prints microseconds per thread (median of 7 repetitions). Under
   `valgrind --tool=callgrind` with one case the instruction count per thread
   is the stable figure: scripts/callgrind-threads.sh subtracts `bare` from
   each case, leaving what the allocator costs.

   Usage: threadlife [threads=2000] [case=all|bare|first|local|handoff] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

typedef enum life_case_e { LIFE_BARE, LIFE_FIRST, LIFE_LOCAL, LIFE_HANDOFF, LIFE_COUNT } life_case_t;
static const char* const life_names[LIFE_COUNT] = {"bare", "first", "local", "handoff"};

#define LIFE_BLOCKS 1000
static life_case_t life_case;
static void* life_handed[LIFE_BLOCKS];  // blocks of the handoff case, freed by the main thread

static void* life_thread(void* arg) {
  switch (life_case) {
    case LIFE_BARE: break;
    case LIFE_FIRST: {
      char* volatile p = bench_malloc(16);  // volatile: the compiler may not drop the pair
      p[0] = 1;
      bench_free(p);
      break;
    }
    case LIFE_LOCAL: {
      void* v[LIFE_BLOCKS];
      for (int i = 0; i < LIFE_BLOCKS; i++) {
        v[i] = bench_malloc(16 + (size_t)(i % 32) * 16);
        memset(v[i], 1, 16);
      }
      for (int i = 0; i < LIFE_BLOCKS; i++) bench_free(v[i]);
      break;
    }
    default:
      for (int i = 0; i < LIFE_BLOCKS; i++) {
        life_handed[i] = bench_malloc(16 + (size_t)(i % 32) * 16);
        memset(life_handed[i], 1, 16);
      }
      break;
  }
  return arg;
}

static int life_cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

// Microseconds per thread of one case, the median of `reps` repetitions.
static double life_run(life_case_t c, unsigned threads, unsigned reps) {
  double r[7];
  life_case = c;
  for (unsigned k = 0; k < reps; k++) {
    double t0 = bench_now();
    for (unsigned i = 0; i < threads; i++) {
      pthread_t t;
      if (pthread_create(&t, NULL, life_thread, NULL) != 0) {
        fprintf(stderr, "threadlife: cannot create a thread\n");
        exit(1);
      }
      pthread_join(t, NULL);
      if (c == LIFE_HANDOFF) {
        for (int j = 0; j < LIFE_BLOCKS; j++) bench_free(life_handed[j]);
      }
    }
    r[k] = (bench_now() - t0) / threads * 1e6;
  }
  qsort(r, reps, sizeof(double), life_cmp);
  return r[reps / 2];
}

int main(int argc, char** argv) {
  unsigned threads = argc > 1 ? (unsigned)atoi(argv[1]) : 2000;
  const char* which = argc > 2 ? argv[2] : "all";
  int only = -1;
  for (int c = 0; c < LIFE_COUNT; c++) {
    if (strcmp(which, life_names[c]) == 0) only = c;
  }
  if (threads < 1 || (only < 0 && strcmp(which, "all") != 0)) {
    fprintf(stderr, "usage: threadlife [threads >= 1] [all|bare|first|local|handoff]\n");
    return 2;
  }
  bench_free(bench_malloc(1));  // the main thread's heap exists before the cases
  double bare = 0;
  for (int c = 0; c < LIFE_COUNT; c++) {
    if (only >= 0 && c != only) continue;
    double us = life_run((life_case_t)c, threads, only >= 0 ? 1 : 7);
    if (c == LIFE_BARE) bare = us;
    printf("threadlife: case=%s threads=%u us_per_thread=%.2f", life_names[c], threads, us);
    if (only < 0 && c != LIFE_BARE) printf(" over_bare=%.2f", us - bare);
    printf("\n");
  }
  bench_report_allocator();
  return 0;
}
