// A string that never changes once made, kept as one allocation of its exact size behind one
// pointer: 8 bytes where std::string takes 32, plus a heap buffer rounded up for anything
// over 15 characters. For keys held by the tens of thousands (the pod cache's
// "namespace/name"), where std::string's size was a third of each entry.
//
// Thread-safety: as for a const value.
#pragma once

#include <cstring>
#include <functional>
#include <memory>
#include <string_view>

namespace kcau {

class FrozenString {
 public:
  FrozenString() = default;
  explicit FrozenString(std::string_view s) {
    if (s.empty()) return;  // no allocation: most of a cache's optional strings are empty
    data_.reset(new char[s.size() + 1]);
    std::memcpy(data_.get(), s.data(), s.size());
    data_[s.size()] = '\0';  // the length is where the NUL is: the text holds none
  }
  FrozenString(const FrozenString& other) : FrozenString(other.view()) {}
  FrozenString(FrozenString&&) noexcept = default;
  FrozenString& operator=(const FrozenString& other) {
    if (this != &other) *this = FrozenString(other.view());
    return *this;
  }
  FrozenString& operator=(FrozenString&&) noexcept = default;

  std::string_view view() const { return data_ ? std::string_view(data_.get()) : ""; }
  operator std::string_view() const { return view(); }  // NOLINT: reads as the text

  bool operator==(const FrozenString& other) const { return view() == other.view(); }
  bool operator==(std::string_view other) const { return view() == other; }

  // Hash and equality that also take std::string_view and std::string, so that an unordered
  // container keyed by FrozenString is searched without making one.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>()(s);
    }
  };
  struct Equal {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
  };

 private:
  std::unique_ptr<char[]> data_;
};

}  // namespace kcau
