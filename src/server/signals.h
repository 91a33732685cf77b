// Orderly shutdown on SIGINT/SIGTERM for the long-running commands (serve, watch):
// the signals are blocked in every thread and taken synchronously with sigwait(),
// so shutdown code runs on an ordinary thread, not in a signal handler.
// Thread-safety: BlockTerminationSignals() must run before any thread is started.
#pragma once

namespace trawl {

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread; threads started afterwards
// inherit the mask.
void BlockTerminationSignals();

// Waits for one of those signals; returns its number.
int WaitForTerminationSignal();

// After the first signal, while draining: a second one exits at once with `code`.
void ExitOnSecondSignal(int code);

// Wakes WaitForTerminationSignal() from the process itself (e.g. the server failed).
void RaiseTermination();

}  // namespace trawl
