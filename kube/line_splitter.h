// Cuts a byte stream that arrives in arbitrary chunks into newline-terminated lines: a watch
// response is one JSON event per line, and its chunks end anywhere. Reading the stream a
// chunk at a time and splitting here replaced cpprest's read_line, which takes one
// asynchronous task per byte (at 50,000 pods that was most of the controller's CPU).
//
// Not thread-safe: one reader owns it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace kcau::kube {

class LineSplitter {
 public:
  void Append(std::string_view chunk) { buffer_.append(chunk.data(), chunk.size()); }
  // The next whole line without its "\n" (and without a "\r" before it), if one has arrived.
  std::optional<std::string> NextLine();
  // At the end of the stream: what is left after the last newline, if anything.
  std::optional<std::string> Rest();
  size_t Buffered() const { return buffer_.size() - consumed_; }

 private:
  std::string buffer_;
  size_t consumed_ = 0;  // bytes of buffer_ already handed out as lines
  size_t scanned_ = 0;   // bytes of buffer_ known to hold no newline after consumed_
};

}  // namespace kcau::kube
