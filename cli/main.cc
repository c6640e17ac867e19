// vigilctl: the command-line client of vigil-controller's gRPC API (see cli/README.md).
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/usage.h"
#include "common/log.h"

int main(int argc, char** argv) {
  vigil::SetLogProgram("vigilctl");
  const std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<vigil::cli::CliOptions> options =
      vigil::cli::ParseCliOptions(args, vigil::cli::VigilEnvironment());
  if (!options.ok()) {
    vigil::Log(options.status().message(),
               "\nRun 'vigilctl --help' (or 'vigilctl COMMAND --help') for usage.");
    return vigil::cli::kExitUsage;
  }
  if (options->help) {
    fputs(vigil::cli::UsageFor(options->help_topic), stdout);
    return vigil::cli::kExitOk;
  }
  if (options->version) {
    printf("vigilctl %s\n", VIGIL_VERSION);
    return vigil::cli::kExitOk;
  }

  // Never freed: the signal thread may outlive main's stack.
  auto* interrupt = new vigil::cli::Interrupt;
  if (options->command == vigil::cli::Command::kAlertsTail) {
    // The stream runs until interrupted: SIGINT and SIGTERM cancel it and vigilctl exits 0.
    // Blocked before gRPC starts its threads, so only this thread receives them.
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &mask, nullptr);
    std::thread([mask, interrupt] {
      int signo = 0;
      sigwait(&mask, &signo);
      interrupt->Trigger();
    }).detach();
  }
  std::ios::sync_with_stdio(false);
  return vigil::cli::RunAgainstController(*options, std::cout, std::cerr, interrupt);
}
