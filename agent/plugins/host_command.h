// Runs a plug-in's command on the host and turns a failure into an error that carries what
// the tool said last, so that the run's status shows why an update failed (dpkg's error, a
// repository that did not answer) without anyone logging in to the node.
//
// Thread-safety: plain functions; as safe as the Host they are given.
#pragma once

#include <initializer_list>
#include <string>

#include "agent/host.h"
#include "common/status.h"

namespace kcau::agent {

// The last `max_lines` lines of `output`, at most `max_bytes` bytes of them, without the
// trailing newline.
std::string OutputTail(const std::string& output, size_t max_lines = 20, size_t max_bytes = 4096);

// What a failed command said: the error lines from before the tail ("E: ...", "error: ...",
// "dpkg: error ...", at most 5: tools often go on for many lines after the error), then the
// tail; at most 4 KiB.
std::string FailureOutput(const std::string& output);

// "apt-get -y upgrade", cut to 200 characters: a command as messages name it.
std::string DescribeCommand(const Command& command);

// Runs `command`. A command that could not start, timed out, or exited with a code not in
// `ok_exit_codes` is an error (Unavailable) naming the command and ending with its
// FailureOutput.
StatusOr<CommandResult> RunOnHost(Host& host, const Command& command,
                                  std::initializer_list<int> ok_exit_codes = {0});

}  // namespace kcau::agent
