#include <signal.h>

#include "check.h"

int main(int argc, char** argv) {
  // As in Node (and in the data-plane threads): a write to a closed socket is EPIPE, not death.
  signal(SIGPIPE, SIG_IGN);
  return check::RunAll(argc, argv);
}
