// What kcau-sim's HTTP server has in hand: requests being handled and answers handed to
// cpprestsdk but not yet sent. Closing the gate turns new requests away and waits for both
// to drain, so a stopping kcau-sim can save a store no request changes any more, without
// closing cpprestsdk's listener under a connection still being written (that close, racing
// the library's own thread on the same socket, crashed kcau-sim in its epoll reactor).
//
// Thread-safety: every member is safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace kcau::sim {

class RequestGate {
 public:
  // Admits one request, to be paired with one Left; false once the gate is closed: answer
  // without touching the store, and call nothing more.
  bool Enter() {
    handling_.fetch_add(1);
    if (!closed_.load()) return true;
    Done(handling_);
    return false;
  }
  void Left() { Done(handling_); }

  // One answer handed over; AnswerSent once it has been written or has failed.
  void AnswerHandedOver() { answering_.fetch_add(1); }
  void AnswerSent() { Done(answering_); }

  // Turns every later request away and returns once no admitted one is being handled.
  void Close() {
    closed_.store(true);
    std::unique_lock<std::mutex> lock(mu_);
    drained_.wait(lock, [&] { return handling_.load() == 0; });
  }

  // Waits up to `grace` for the answers handed over to be sent (a client that stopped
  // reading may never take its answer); true when they were.
  bool WaitForAnswers(std::chrono::milliseconds grace) {
    std::unique_lock<std::mutex> lock(mu_);
    return drained_.wait_for(lock, grace, [&] { return answering_.load() == 0; });
  }

 private:
  // Sequentially consistent on purpose: a request that enters after Close read handling_
  // as 0 must see closed_ set.
  std::atomic<bool> closed_{false};
  std::atomic<int> handling_{0};
  std::atomic<int> answering_{0};
  std::mutex mu_;
  std::condition_variable drained_;

  void Done(std::atomic<int>& count) {
    if (count.fetch_sub(1) == 1) {
      std::lock_guard<std::mutex> lock(mu_);  // so a waiter between test and wait is woken
      drained_.notify_all();
    }
  }
};

}  // namespace kcau::sim
