// Injected time. Nothing in kcau reads the system clock or sleeps except RealClock, so every
// timeout (reboot, drain, warnAfter, stopAfter) is testable with FakeClock and no sleeping.
//
// Two clocks: wall time (Now) for timestamps people read, and monotonic time (Monotonic) for
// measuring how long something took. The wall clock can be stepped (NTP correcting a wrong
// clock, an admin's `date -s`): a timeout measured on it fires early or stalls, which once
// failed a healthy node in its reboot. Timers and timeouts therefore measure on Monotonic;
// see reconcilers/elapsed_since.h for timeouts that start from a status timestamp.
//
// Thread-safety: RealClock is stateless; FakeClock guards its time with a mutex so a test
// thread may Advance() while workers read Now().
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace kcau {

using WallClock = std::chrono::system_clock;
using TimePoint = WallClock::time_point;
using Duration = std::chrono::milliseconds;
// Monotonic time: only differences mean anything; never stepped.
using MonoTime = std::chrono::steady_clock::time_point;
// How long ago a wall-clock timestamp (read from the API server) was. Decisions take one of
// these rather than subtracting from "now", so the controller can pass one that a step of
// the wall clock cannot fool (reconcilers/elapsed_since.h).
using ElapsedFn = std::function<Duration(TimePoint)>;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall time: written into status timestamps, compared with them after a restart.
  virtual TimePoint Now() const = 0;
  // Monotonic time: timers, timeouts, rates.
  virtual MonoTime Monotonic() const = 0;
  // Blocks for d (RealClock) or moves time on by d (FakeClock): for waits an adapter must
  // take itself, such as client-side throttling.
  virtual void Sleep(Duration d) = 0;
};

class RealClock final : public Clock {
 public:
  TimePoint Now() const override { return WallClock::now(); }
  MonoTime Monotonic() const override { return std::chrono::steady_clock::now(); }
  void Sleep(Duration d) override;
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start) : now_(start) {}
  TimePoint Now() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }
  MonoTime Monotonic() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return mono_;
  }
  void Sleep(Duration d) override { Advance(d); }
  // Time passes: both clocks move on by d.
  void Advance(Duration d) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ += d;
    mono_ += d;
  }
  // The wall clock is stepped (forward or back) by d; no time passes.
  void Step(Duration d) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ += d;
  }
  // The wall clock is set to t; no time passes.
  void Set(TimePoint t) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ = t;
  }

 private:
  mutable std::mutex mu_;
  TimePoint now_;  // guarded by mu_
  MonoTime mono_;  // guarded by mu_; starts at the epoch of steady_clock
};

// RFC 3339 in UTC with second precision ("2026-11-25T10:00:00Z"), as Kubernetes writes
// metav1.Time.
std::string FormatRfc3339(TimePoint t);
// Parses what FormatRfc3339 writes, plus fractional seconds; nullopt when malformed.
std::optional<TimePoint> ParseRfc3339(const std::string& text);

}  // namespace kcau
