// Makes absl::Mutex visible to ThreadSanitizer in `make test-tsan`.
//
// Debian ships Abseil built without TSan, so its Mutex synchronises through
// atomics TSan cannot see: every access guarded by an absl::Mutex would be
// reported as a race, hiding the real ones. This file, linked into the test
// binaries of a GRIDLEDGER_TSAN build only, interposes the Mutex entry points
// (the executable's definitions win over the shared library's), tells TSan
// about each lock and unlock through its mutex annotations, and forwards to
// the real implementation (dlsym RTLD_NEXT).
//
// Await and LockWhen are re-expressed as "evaluate the condition with the
// lock held; if false, unlock, yield, relock": the library would otherwise
// evaluate a waiter's condition on whichever thread unlocks, where TSan cannot
// see the lock held. Semantics are the same (the call returns holding the
// lock with the condition true); only speed differs, in this build only.
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

#define GL_TSAN_STR2(x) #x
#define GL_TSAN_STR(x) GL_TSAN_STR2(x)

namespace {

using MutexFn = void (*)(absl::Mutex*);
using MutexBoolFn = bool (*)(absl::Mutex*);

// The mangled name of absl::<inline ns>::Mutex::<rest>.
std::string Mangled(const char* rest) {
  const std::string ns = GL_TSAN_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  return "_ZN4absl" + std::to_string(ns.size()) + ns + "5Mutex" + rest;
}

void* Real(const char* rest) {
  const std::string name = Mangled(rest);
  void* fn = dlsym(RTLD_NEXT, name.c_str());
  if (fn == nullptr) {
    std::fprintf(stderr, "absl_mutex_tsan: %s not found\n", name.c_str());
    std::abort();
  }
  return fn;
}

MutexFn RealLock() { static auto fn = reinterpret_cast<MutexFn>(Real("4LockEv")); return fn; }
MutexFn RealUnlock() { static auto fn = reinterpret_cast<MutexFn>(Real("6UnlockEv")); return fn; }
MutexFn RealReaderLock() {
  static auto fn = reinterpret_cast<MutexFn>(Real("10ReaderLockEv"));
  return fn;
}
MutexFn RealReaderUnlock() {
  static auto fn = reinterpret_cast<MutexFn>(Real("12ReaderUnlockEv"));
  return fn;
}
MutexBoolFn RealTryLock() {
  static auto fn = reinterpret_cast<MutexBoolFn>(Real("7TryLockEv"));
  return fn;
}
MutexFn RealDestroy() { static auto fn = reinterpret_cast<MutexFn>(Real("D2Ev")); return fn; }

// The mangled name of absl::<inline ns>::CondVar::<rest>.
void* RealCondVar(const char* rest) {
  const std::string ns = GL_TSAN_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  const std::string name = "_ZN4absl" + std::to_string(ns.size()) + ns + "7CondVar" + rest;
  void* fn = dlsym(RTLD_NEXT, name.c_str());
  if (fn == nullptr) {
    std::fprintf(stderr, "absl_mutex_tsan: %s not found\n", name.c_str());
    std::abort();
  }
  return fn;
}

void Yield() { std::this_thread::sleep_for(std::chrono::microseconds(50)); }

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

Mutex::~Mutex() {
  __tsan_mutex_destroy(this, 0);
  RealDestroy()(this);
}

void Mutex::Lock() {
  __tsan_mutex_pre_lock(this, 0);
  RealLock()(this);
  __tsan_mutex_post_lock(this, 0, 0);
}

void Mutex::Unlock() {
  __tsan_mutex_pre_unlock(this, 0);
  RealUnlock()(this);
  __tsan_mutex_post_unlock(this, 0);
}

void Mutex::ReaderLock() {
  __tsan_mutex_pre_lock(this, __tsan_mutex_read_lock);
  RealReaderLock()(this);
  __tsan_mutex_post_lock(this, __tsan_mutex_read_lock, 0);
}

void Mutex::ReaderUnlock() {
  __tsan_mutex_pre_unlock(this, __tsan_mutex_read_lock);
  RealReaderUnlock()(this);
  __tsan_mutex_post_unlock(this, __tsan_mutex_read_lock);
}

bool Mutex::TryLock() {
  __tsan_mutex_pre_lock(this, __tsan_mutex_try_lock);
  const bool locked = RealTryLock()(this);
  __tsan_mutex_post_lock(this, locked ? __tsan_mutex_try_lock : __tsan_mutex_try_lock_failed,
                         0);
  return locked;
}

void Mutex::Await(const Condition& cond) {
  while (!cond.Eval()) {
    Unlock();
    Yield();
    Lock();
  }
}

bool Mutex::AwaitWithDeadline(const Condition& cond, absl::Time deadline) {
  while (!cond.Eval()) {
    if (absl::Now() >= deadline) return false;
    Unlock();
    Yield();
    Lock();
  }
  return true;
}

bool Mutex::AwaitWithTimeout(const Condition& cond, absl::Duration timeout) {
  return AwaitWithDeadline(cond, absl::Now() + timeout);
}

void Mutex::LockWhen(const Condition& cond) {
  Lock();
  Await(cond);
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, absl::Time deadline) {
  Lock();
  return AwaitWithDeadline(cond, deadline);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, absl::Duration timeout) {
  Lock();
  return AwaitWithTimeout(cond, timeout);
}

// A condition variable releases its mutex inside the library (not through
// Mutex::Unlock) while it waits: tell TSan the lock is released for the wait
// and held again after it.
void CondVar::Wait(Mutex* mu) {
  static auto real = reinterpret_cast<void (*)(CondVar*, Mutex*)>(RealCondVar("4WaitEPNS0_5MutexE"));
  __tsan_mutex_pre_unlock(mu, 0);
  __tsan_mutex_post_unlock(mu, 0);
  real(this, mu);
  __tsan_mutex_pre_lock(mu, 0);
  __tsan_mutex_post_lock(mu, 0, 0);
}

bool CondVar::WaitWithDeadline(Mutex* mu, absl::Time deadline) {
  static auto real = reinterpret_cast<bool (*)(CondVar*, Mutex*, absl::Time)>(
      RealCondVar("16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE"));
  __tsan_mutex_pre_unlock(mu, 0);
  __tsan_mutex_post_unlock(mu, 0);
  const bool timed_out = real(this, mu, deadline);
  __tsan_mutex_pre_lock(mu, 0);
  __tsan_mutex_post_lock(mu, 0, 0);
  return timed_out;
}

// The library's own WaitWithTimeout calls WaitWithDeadline (which would land
// in the wrapper above a second time), so it is expressed through it here.
bool CondVar::WaitWithTimeout(Mutex* mu, absl::Duration timeout) {
  return WaitWithDeadline(mu, absl::Now() + timeout);
}

ABSL_NAMESPACE_END
}  // namespace absl
