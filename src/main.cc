// ecssd: DNS service discovery for containers. Argument parsing and wiring live
// in src/cli; this file only hands over.
#include "cli/cli.h"

int main(int argc, char** argv) { return ecssd::cli::run(argc, argv); }
