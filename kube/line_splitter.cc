#include "kube/line_splitter.h"

#include <algorithm>

namespace kcau::kube {

std::optional<std::string> LineSplitter::NextLine() {
  const size_t newline = buffer_.find('\n', std::max(scanned_, consumed_));
  if (newline == std::string::npos) {
    scanned_ = buffer_.size();
    return std::nullopt;
  }
  size_t end = newline;
  if (end > consumed_ && buffer_[end - 1] == '\r') --end;
  std::string line = buffer_.substr(consumed_, end - consumed_);
  consumed_ = newline + 1;
  scanned_ = consumed_;
  // Drop what was handed out once it is most of the buffer, so the buffer stays the size of
  // the largest event rather than growing with the stream, and compaction stays amortised.
  if (consumed_ > buffer_.size() / 2) {
    buffer_.erase(0, consumed_);
    scanned_ -= consumed_;
    consumed_ = 0;
  }
  return line;
}

std::optional<std::string> LineSplitter::Rest() {
  if (Buffered() == 0) return std::nullopt;
  std::string rest = buffer_.substr(consumed_);
  buffer_.clear();
  consumed_ = scanned_ = 0;
  return rest;
}

}  // namespace kcau::kube
