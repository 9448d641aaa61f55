/* fuzz.h - what every fuzz target shares.
 *
 * Each target is one libFuzzer entry point over one parser of outside input.
 * Built with clang and -fsanitize=fuzzer it is a coverage-guided fuzzer
 * (`make fuzz`); built with tests/fuzz/replay.c instead, it replays the
 * committed corpus and every crash ever found, as an ordinary test in both
 * builds of `make test`.
 */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Makes a log message of @levels (G_LOG_LEVEL_CRITICAL, ...) a crash: the
 * process aborts, which libFuzzer catches and keeps the input for. GLib's own
 * fatal messages stop at a breakpoint instead (SIGTRAP), which it does not:
 * the run dies and the input is lost. Call once, from LLVMFuzzerInitialize. */
void sc_fuzz_fatal_logs(GLogLevelFlags levels);

/* A private folder for the target's files, made once, removed at exit. */
const char *sc_fuzz_dir(void);

/* Writes @data to @name in sc_fuzz_dir() and returns its path. */
const char *sc_fuzz_write(const char *name, const uint8_t *data, size_t size);
