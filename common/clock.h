// Injected time. Nothing in kcau reads the system clock or sleeps except RealClock, so every
// timeout (reboot, drain, warnAfter, stopAfter) is testable with FakeClock and no sleeping.
//
// Thread-safety: RealClock is stateless; FakeClock guards its time with a mutex so a test
// thread may Advance() while workers read Now().
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

namespace kcau {

using WallClock = std::chrono::system_clock;
using TimePoint = WallClock::time_point;
using Duration = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall time: written into status timestamps, compared with them after a restart.
  virtual TimePoint Now() const = 0;
  // Blocks for d (RealClock) or moves time on by d (FakeClock): for waits an adapter must
  // take itself, such as client-side throttling.
  virtual void Sleep(Duration d) = 0;
};

class RealClock final : public Clock {
 public:
  TimePoint Now() const override { return WallClock::now(); }
  void Sleep(Duration d) override;
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start) : now_(start) {}
  TimePoint Now() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }
  void Sleep(Duration d) override { Advance(d); }
  void Advance(Duration d) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ += d;
  }
  void Set(TimePoint t) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ = t;
  }

 private:
  mutable std::mutex mu_;
  TimePoint now_;  // guarded by mu_
};

// RFC 3339 in UTC with second precision ("2026-11-25T10:00:00Z"), as Kubernetes writes
// metav1.Time.
std::string FormatRfc3339(TimePoint t);
// Parses what FormatRfc3339 writes, plus fractional seconds; nullopt when malformed.
std::optional<TimePoint> ParseRfc3339(const std::string& text);

}  // namespace kcau
