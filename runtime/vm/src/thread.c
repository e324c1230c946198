/* thread.c: spawn/join and channels.

   A spawn() starts a detached OS thread that builds its own VM on the shared
   program, adopts the packet holding the function's arguments and runs the
   function. When it ends, the thread stores a packet with a deep copy of the
   result (or the error text) in the shared hvm_thread_t and signals its
   condition variable; join() sleeps on it, then copies the result into the
   joining VM (a fresh copy per join, so several VMs may join one thread).

   A channel is a mutex and an unbounded FIFO of packets. send() deep-copies
   outside the lock and appends; recv() sleeps (no spinning) until a packet
   arrives or the channel is closed, then adopts the packet into its heap.
   close() of a closed channel does nothing; send() on a closed channel is a
   runtime error.

   Waiting and deadlocks: the program counts its VMs that run script code
   (`active`: every run and every spawned thread, minus those waiting in
   recv or join). A VM about to wait registers a waiter and leaves the count;
   whoever makes it runnable (send, close, the end of the joined thread)
   releases it and counts it back, under the program's wait mutex, before it
   wakes. If the count reaches 0 while VMs wait, nothing can ever wake them:
   each gets the runtime error "deadlock" (as Go reports "all goroutines are
   asleep"), instead of the process hanging. The error names the first
   spawned thread that had failed by then, if one had: its error is not
   reported otherwise unless it is joined, and it is often why the wait can
   never end (a worker that ran out of memory never sends). All waits of a program sleep on
   one condition variable, so no wakeup can touch a waiter that has left.
   Lock order: a channel's or thread's mutex, then the program's wait mutex.

   Lifetimes: channels and threads are reference counted (every VM handle,
   every packet holding a handle, the running thread itself); the program is
   held by every running spawned thread, so it outlives them. */
#include <errno.h>
#include <stdlib.h>

#include "hvm_internal.h"

// ----- Waiting (caller holds p->wmu for all of these) -----
// Counts VMs that run script code; 0 with waiters left is a deadlock: every
// waiter is woken with its deadlock flag (and counted back, as it will run
// to its error).
static void hvm_active_dec(hvm_program_t* p) {
  if (--p->active > 0 || !p->waiters) return;
  for (hvm_waiter_t* w = p->waiters; w; w = w->next) {
    w->deadlock = 1;
    w->failed = p->failed[0] != 0;
    p->active++;
  }
  p->waiters = NULL;
  pthread_cond_broadcast(&p->wcv);
}

// Releases up to max waiters on `on` (all if max < 0); returns how many.
static int hvm_release(hvm_program_t* p, const void* on, int max) {
  int n = 0;
  for (hvm_waiter_t** link = &p->waiters; *link && (max < 0 || n < max);) {
    hvm_waiter_t* w = *link;
    if (w->on != on) {
      link = &w->next;
      continue;
    }
    *link = w->next;
    w->released = 1;
    p->active++;
    n++;
  }
  if (n) pthread_cond_broadcast(&p->wcv);
  return n;
}

// Waits until released or deadlocked. Caller holds `held` (the object's
// mutex, released once registered) and not p->wmu; returns with neither
// held. Returns 0 when released, 1 on deadlock, 2 on deadlock after a
// spawned thread failed (p->failed, which no longer changes).
static int hvm_wait(hvm_program_t* p, const void* on, pthread_mutex_t* held) {
  hvm_waiter_t w = {NULL, on, 0, 0, 0};
  pthread_mutex_lock(&p->wmu);
  w.next = p->waiters;
  p->waiters = &w;
  pthread_mutex_unlock(held);
  hvm_active_dec(p);
  while (!w.released && !w.deadlock) pthread_cond_wait(&p->wcv, &p->wmu);
  pthread_mutex_unlock(&p->wmu);
  return w.deadlock ? 1 + w.failed : 0;
}

// The deadlock error of a recv() or join() whose wait returned `why`.
static HVM_NORETURN void hvm_deadlock(hvm_t* vm, const char* what, int why) {
  if (why == 2) {
    _hvm_raise(vm, "deadlock: %s() would wait forever (every thread of the script is waiting or finished; a thread failed at %s)",
               what, vm->prog->failed);
  }
  _hvm_raise(vm, "deadlock: %s() would wait forever (every thread of the script is waiting or finished)", what);
}

void _hvm_run_enter(hvm_program_t* p) {
  pthread_mutex_lock(&p->wmu);
  p->active++;
  pthread_mutex_unlock(&p->wmu);
}

void _hvm_run_leave(hvm_program_t* p) {
  pthread_mutex_lock(&p->wmu);
  hvm_active_dec(p);
  pthread_mutex_unlock(&p->wmu);
}

// ----- Channels -----
void _hvm_chan_release(hvm_chan_t* ch) {
  if (!ch || atomic_fetch_sub(&ch->refs, 1) != 1) return;
  hvm_packet_t* pk;
  while ((pk = ch->head)) {
    ch->head = pk->next;
    _hvm_packet_free(ch->alc, pk);
  }
  pthread_mutex_destroy(&ch->mu);
  ch->alc->free(ch->alc->ctx, ch, sizeof *ch, _hvm_site_static(HVM_SITE_CHAN));
}

void _hvm_chan_new(hvm_t* vm, hvm_value_t* out) {
  hvm_chanref_t* r = (hvm_chanref_t*)_hvm_obj_new(vm, HVM_CHAN, sizeof(hvm_chanref_t));
  r->ch = NULL;  // a handle without channel is harmless if the next allocation raises
  hvm_chan_t* ch = vm->alc->alloc(vm->alc->ctx, sizeof *ch, _hvm_site_static(HVM_SITE_CHAN));
  if (!ch) _hvm_raise_oom(vm);
  memset(ch, 0, sizeof *ch);
  pthread_mutex_init(&ch->mu, NULL);
  atomic_init(&ch->refs, 1);
  ch->alc = vm->alc;
  r->ch = ch;
  *out = hvm_obj(r, HVM_CHAN);
}

static hvm_chan_t* hvm_arg_chan(hvm_t* vm, const char* fn, hvm_value_t c) {
  if (c.t != HVM_CHAN) _hvm_raise(vm, "%s() argument 1 must be a channel, not %s", fn, _hvm_type_name(c));
  return ((hvm_chanref_t*)c.u.o)->ch;
}

void _hvm_chan_send(hvm_t* vm, hvm_value_t c, hvm_value_t v) {
  hvm_chan_t* ch = hvm_arg_chan(vm, "send", c);
  hvm_packet_t* pk = _hvm_packet_new(vm, v);  // copy outside the lock
  pthread_mutex_lock(&ch->mu);
  if (ch->closed) {
    pthread_mutex_unlock(&ch->mu);
    _hvm_packet_free(vm->alc, pk);
    _hvm_raise(vm, "send() on a closed channel");
  }
  pk->next = NULL;
  if (ch->tail) ch->tail->next = pk;
  else ch->head = pk;
  ch->tail = pk;
  if (ch->nwait) {
    pthread_mutex_lock(&vm->prog->wmu);
    ch->nwait -= hvm_release(vm->prog, ch, 1);
    pthread_mutex_unlock(&vm->prog->wmu);
  }
  pthread_mutex_unlock(&ch->mu);
}

void _hvm_chan_recv(hvm_t* vm, hvm_value_t c, hvm_value_t* out) {
  hvm_chan_t* ch = hvm_arg_chan(vm, "recv", c);
  pthread_mutex_lock(&ch->mu);
  while (!ch->head && !ch->closed) {
    ch->nwait++;
    int why = hvm_wait(vm->prog, ch, &ch->mu);
    if (why) {
      pthread_mutex_lock(&ch->mu);
      ch->nwait--;
      pthread_mutex_unlock(&ch->mu);
      hvm_deadlock(vm, "recv", why);
    }
    pthread_mutex_lock(&ch->mu);  // released: the releaser took us off nwait
  }
  hvm_packet_t* pk = ch->head;
  if (pk) {
    ch->head = pk->next;
    if (!ch->head) ch->tail = NULL;
  }
  pthread_mutex_unlock(&ch->mu);
  *out = pk ? _hvm_packet_adopt(vm, pk) : hvm_nil();
}

void _hvm_chan_close(hvm_t* vm, hvm_value_t c) {
  hvm_chan_t* ch = hvm_arg_chan(vm, "close", c);
  pthread_mutex_lock(&ch->mu);
  ch->closed = 1;
  if (ch->nwait) {
    pthread_mutex_lock(&vm->prog->wmu);
    ch->nwait -= hvm_release(vm->prog, ch, -1);
    pthread_mutex_unlock(&vm->prog->wmu);
  }
  pthread_mutex_unlock(&ch->mu);
}

// ----- Threads -----
void _hvm_thread_release(hvm_thread_t* th) {
  if (!th || atomic_fetch_sub(&th->refs, 1) != 1) return;
  const hak_alc_t* alc = th->alc;
  if (th->start) _hvm_packet_free(alc, th->start);
  if (th->result) _hvm_packet_free(alc, th->result);
  if (th->error) alc->free(alc->ctx, th->error, th->errlen + 1, _hvm_site_static(HVM_SITE_THREAD));
  pthread_mutex_destroy(&th->mu);
  alc->free(alc->ctx, th, sizeof *th, _hvm_site_static(HVM_SITE_THREAD));
}

// The first line of a failed run's error without " runtime error:" ("FILE:LINE: MSG"), then `end`.
static void hvm_error_line(const hvm_result_t* res, const char* end, char* out, size_t n) {
  const char* msg = res->message;
  const char* cut = strstr(msg, " runtime error:");
  if (cut) snprintf(out, n, "%.*s%s%s", (int)(cut - msg), msg, cut + strlen(" runtime error:"), end);
  else snprintf(out, n, "%s%s", msg, end);
}

// Stores the error of a failed run: "FILE:LINE: MSG\n" + traceback lines.
static void hvm_thread_set_error(hvm_thread_t* th, const hvm_t* vm, const hvm_result_t* res) {
  char first[600];
  hvm_error_line(res, "\n", first, sizeof first);
  size_t n1 = strlen(first), n2 = vm ? vm->tracelen : 0;
  char* e = th->alc->alloc(th->alc->ctx, n1 + n2 + 1, _hvm_site_static(HVM_SITE_THREAD));
  if (!e) return;  // join reports the failure without the text
  memcpy(e, first, n1);
  if (n2) memcpy(e + n1, vm->trace, n2);
  e[n1 + n2] = 0;
  th->error = e;
  th->errlen = n1 + n2;
}

// Copies the result into a packet; 0, or -1 if that raised (res filled).
static int hvm_thread_keep_result(hvm_t* vm, hvm_thread_t* th, hvm_value_t v, hvm_result_t* res) {
  jmp_buf jb;
  vm->jb = &jb;
  vm->res = res;
  if (setjmp(jb)) {
    vm->jb = NULL;
    return -1;
  }
  vm->site = _hvm_site_static(HVM_SITE_THREAD);
  th->result = _hvm_packet_new(vm, v);
  vm->jb = NULL;
  return 0;
}

static void* hvm_thread_main(void* arg) {
  hvm_thread_t* th = arg;
  hvm_program_t* p = th->prog;
  hvm_result_t res;
  memset(&res, 0, sizeof res);
  hvm_t* vm = _hvm_vm_new(p);
  int state = HVM_TH_FAILED;
  if (!vm) {
    snprintf(res.message, sizeof res.message, "%s:0: runtime error: out of memory starting a thread", p->m->file);
  } else {
    vm->is_thread = 1;
    hvm_packet_t* start = th->start;
    th->start = NULL;
    hvm_value_t argv = _hvm_packet_adopt(vm, start);
    hvm_arr_t* a = HVM_ARR(argv);
    uint32_t fi = (uint32_t)a->items[0].u.i;
    hvm_value_t result;
    int r = _hvm_run_protected(vm, fi, a->items + 1, a->len - 1, &result, &res);
    if (r == 2 && p->opt.exit_process) {
      fflush(NULL);
      exit(res.status);
    }
    if (r == 2) result = hvm_nil();
    if (r != 1 && hvm_thread_keep_result(vm, th, result, &res) == 0) state = HVM_TH_DONE;
  }
  pthread_mutex_lock(&th->mu);
  if (state == HVM_TH_FAILED) hvm_thread_set_error(th, vm, &res);
  th->state = state;
  pthread_mutex_lock(&p->wmu);
  if (state == HVM_TH_FAILED && !p->failed[0]) hvm_error_line(&res, "", p->failed, sizeof p->failed);
  if (th->nwait) th->nwait -= hvm_release(p, th, -1);
  hvm_active_dec(p);  // after releasing the joiners: they count now
  pthread_mutex_unlock(&p->wmu);
  pthread_mutex_unlock(&th->mu);
  _hvm_vm_free(vm);
  atomic_fetch_sub(&p->threads, 1);
  _hvm_thread_release(th);
  _hvm_program_release(p);
  return NULL;
}

void _hvm_spawn(hvm_t* vm, hvm_value_t* args, uint32_t nargs, hvm_value_t* out) {
  hvm_value_t f = args[0];
  if (f.t != HVM_FUNC || (uint64_t)f.u.i >> 32 != HVM_FN_SCRIPT)
    _hvm_raise(vm, "spawn() argument 1 must be a script function, not %s",
               f.t == HVM_FUNC ? "a builtin or extern" : _hvm_type_name(f));
  const hvm_fn_t* fn = &vm->fns[(uint32_t)f.u.i];
  if (nargs - 1 != fn->arity)
    _hvm_raise(vm, "%s expects %u argument%s, got %u", fn->f->name, fn->arity, fn->arity == 1 ? "" : "s", nargs - 1);
  hvm_threadref_t* ref = (hvm_threadref_t*)_hvm_obj_new(vm, HVM_THREAD, sizeof(hvm_threadref_t));
  ref->th = NULL;
  hvm_value_t fv = hvm_int((int64_t)(uint32_t)f.u.i);  // the function travels as its index
  hvm_value_t saved = args[0];
  args[0] = fv;
  hvm_packet_t* pk = _hvm_packet_new_vec(vm, args, nargs);
  args[0] = saved;
  hvm_thread_t* th = vm->alc->alloc(vm->alc->ctx, sizeof *th, _hvm_site_static(HVM_SITE_THREAD));
  if (!th) {
    _hvm_packet_free(vm->alc, pk);
    _hvm_raise_oom(vm);
  }
  memset(th, 0, sizeof *th);
  pthread_mutex_init(&th->mu, NULL);
  th->state = HVM_TH_RUNNING;
  th->start = pk;
  th->alc = vm->alc;
  th->prog = vm->prog;
  atomic_init(&th->refs, 2);  // the handle and the running thread
  ref->th = th;
  _hvm_program_retain(vm->prog);
  atomic_fetch_add(&vm->prog->threads, 1);
  _hvm_run_enter(vm->prog);  // counted before it starts, so the count never misses it
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t tid;
  int err = pthread_create(&tid, &attr, hvm_thread_main, th);
  pthread_attr_destroy(&attr);
  if (err) {
    _hvm_run_leave(vm->prog);
    atomic_fetch_sub(&vm->prog->threads, 1);
    _hvm_program_release(vm->prog);
    th->state = HVM_TH_FAILED;
    atomic_fetch_sub(&th->refs, 1);  // the thread that never ran
    _hvm_raise(vm, "spawn() cannot start a thread: %s", strerror(err));
  }
  *out = hvm_obj(ref, HVM_THREAD);
}

void _hvm_join(hvm_t* vm, hvm_value_t t, hvm_value_t* out) {
  hvm_thread_t* th = ((hvm_threadref_t*)t.u.o)->th;
  pthread_mutex_lock(&th->mu);
  if (th->state == HVM_TH_RUNNING) {
    th->nwait++;
    int why = hvm_wait(vm->prog, th, &th->mu);
    if (why) {
      pthread_mutex_lock(&th->mu);
      th->nwait--;
      pthread_mutex_unlock(&th->mu);
      hvm_deadlock(vm, "join", why);
    }
  } else {
    pthread_mutex_unlock(&th->mu);
  }
  if (th->state == HVM_TH_FAILED) _hvm_raise_thread(vm, th->error);
  *out = th->result ? _hvm_packet_copy_in(vm, th->result) : hvm_nil();
}
