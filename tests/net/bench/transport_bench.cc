// Transport cost on loopback, printed (never asserted): link setup to the
// first delivered frame, frame ping-pong round trips, and one-way throughput.
// Uses only the public Transport API, so it builds against any version of it.
// Run: build/tests/net/transport_bench
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

#include "core/common/check.h"
#include "core/crypto/schnorr.h"
#include "net/transport/transport.h"

namespace gridledger::net {
namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Counts frames and wakes a waiter.
struct Inbox {
  std::mutex mu;
  std::condition_variable cv;
  uint64_t frames = 0;
  void Add() {
    std::lock_guard<std::mutex> lock(mu);
    ++frames;
    cv.notify_all();
  }
  bool WaitAtLeast(uint64_t n) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(30), [&] { return frames >= n; });
  }
};

TransportOptions Options(const KeyPair& key, const KeyPair& other, uint16_t other_port) {
  TransportOptions options(key);
  options.committee[key.public_key()] = PeerAddress{};
  options.committee[other.public_key()] = PeerAddress{"127.0.0.1", other_port};
  options.reconnect_min_ms = 5;
  options.reconnect_max_ms = 50;
  return options;
}

void Run() {
  const KeyPair ka = KeyPair::FromSeed(1);
  const KeyPair kb = KeyPair::FromSeed(2);
  Inbox at_b;
  std::atomic<bool> echo{false};  // b echoes to a while set
  Transport b(Options(kb, ka, 0), [&](const PublicKey&, Bytes payload) {
    if (echo.load()) GL_CHECK(b.Send(ka.public_key(), std::move(payload)).ok());
    at_b.Add();
  }, nullptr, [](absl::string_view) {});
  GL_CHECK(b.Start().ok());

  // 1. Link setup: a fresh transport (its own TLS context) to the first frame at b.
  constexpr int kSetups = 30;
  double setup_ms_total = 0;
  for (int i = 0; i < kSetups; ++i) {
    const uint64_t before = at_b.frames;
    const auto start = Clock::now();
    Transport a(Options(ka, kb, b.listen_port()), [](const PublicKey&, Bytes) {}, nullptr,
                [](absl::string_view) {});
    GL_CHECK(a.Start().ok());
    GL_CHECK(a.Send(kb.public_key(), Bytes(8, 1)).ok());
    GL_CHECK(at_b.WaitAtLeast(before + 1));
    setup_ms_total += MsSince(start);
  }
  std::printf("link setup to first frame: %.3f ms (mean of %d)\n", setup_ms_total / kSetups,
              kSetups);

  // 2. Ping-pong: a -> b -> a, one frame in flight.
  Inbox at_a;
  Transport a(Options(ka, kb, b.listen_port()), [&](const PublicKey&, Bytes) { at_a.Add(); },
              nullptr, [](absl::string_view) {});
  GL_CHECK(a.Start().ok());
  // b sends on its own outbound link to a.
  GL_CHECK(b.SetPeerAddress(ka.public_key(), PeerAddress{"127.0.0.1", a.listen_port()}).ok());
  echo = true;
  constexpr int kRoundTrips = 5000;
  // Warm up both links.
  GL_CHECK(a.Send(kb.public_key(), Bytes(64, 2)).ok());
  GL_CHECK(at_a.WaitAtLeast(1));
  auto start = Clock::now();
  for (int i = 0; i < kRoundTrips; ++i) {
    GL_CHECK(a.Send(kb.public_key(), Bytes(64, 3)).ok());
    GL_CHECK(at_a.WaitAtLeast(static_cast<uint64_t>(i) + 2));
  }
  const double rtt_us = MsSince(start) * 1000.0 / kRoundTrips;
  std::printf("ping-pong 64 B: %.1f us per round trip (%d round trips)\n", rtt_us, kRoundTrips);
  echo = false;

  // 3. One-way throughput of 1 KiB frames.
  constexpr uint64_t kFrames = 200000;
  const uint64_t base = at_b.frames;
  start = Clock::now();
  for (uint64_t i = 0; i < kFrames; ++i) {
    while (!a.Send(kb.public_key(), Bytes(1024, 4)).ok()) std::this_thread::yield();
  }
  GL_CHECK(at_b.WaitAtLeast(base + kFrames));
  const double seconds = MsSince(start) / 1000.0;
  std::printf("one-way 1 KiB frames: %.0f frames/s, %.1f MiB/s\n", kFrames / seconds,
              kFrames * 1024.0 / seconds / (1 << 20));
  a.Stop();
  b.Stop();
}

}  // namespace
}  // namespace gridledger::net

int main() {
  gridledger::net::Run();
  return 0;
}
