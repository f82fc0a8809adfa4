// Values whose copies share one allocation: copying costs a reference count, not the
// value's own allocations. For the large, rarely changed parts of a value that is copied
// often (every reconcile pass copies the NodeView of each of thousands of nodes, and a
// node's labels and agent result were most of that copy's allocations).
//
// Both compare by value, as the types they stand in for do. Thread-safety: as for a const
// T; copies may be used from different threads, since the shared value is never changed
// (CowValue::Mutable copies it first unless this copy is its only owner).
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

namespace kcau {

// Always holds a T (default-constructed when nothing else is given). Read through * and ->;
// change through Mutable(), which copies the value first when another copy shares it.
template <typename T>
class CowValue {
 public:
  CowValue() : value_(Empty()) {}
  CowValue(T value) : value_(std::make_shared<T>(std::move(value))) {}  // NOLINT: implicit

  const T& operator*() const { return *value_; }
  const T* operator->() const { return value_.get(); }
  T& Mutable() {
    if (value_.use_count() != 1) value_ = std::make_shared<T>(*value_);
    return *value_;
  }

  bool operator==(const CowValue& other) const {
    return value_ == other.value_ || *value_ == *other.value_;
  }

 private:
  // Shared by every default-constructed CowValue<T>; never changed (its count is never 1).
  static const std::shared_ptr<T>& Empty() {
    static const auto* empty = new std::shared_ptr<T>(std::make_shared<T>());
    return *empty;
  }

  std::shared_ptr<T> value_;
};

// std::optional<T>'s reading interface over a shared, immutable T: replaced whole, never
// changed in place.
template <typename T>
class SharedOptional {
 public:
  SharedOptional() = default;
  SharedOptional(std::nullopt_t) {}                                                 // NOLINT
  SharedOptional(T value) : value_(std::make_shared<const T>(std::move(value))) {}  // NOLINT
  SharedOptional(std::optional<T> value) {                                          // NOLINT
    if (value) value_ = std::make_shared<const T>(std::move(*value));
  }

  bool has_value() const { return value_ != nullptr; }
  explicit operator bool() const { return has_value(); }
  const T& operator*() const { return *value_; }
  const T* operator->() const { return value_.get(); }
  const T& value() const {
    if (!value_) throw std::bad_optional_access();
    return *value_;
  }

  bool operator==(const SharedOptional& other) const {
    if (value_ == other.value_) return true;
    return value_ && other.value_ && *value_ == *other.value_;
  }

 private:
  std::shared_ptr<const T> value_;
};

}  // namespace kcau
