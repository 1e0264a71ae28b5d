#ifndef TOKEND_LIBFUZZER_DRIVER_H
#define TOKEND_LIBFUZZER_DRIVER_H

/// Runs libFuzzer on the target's LLVMFuzzerTestOneInput with the process's arguments, and
/// returns its exit status.
///
/// SwiftPM enters an executable at its module's `<Target>_main` (it renames `main` so tests
/// can link executables), so libFuzzer's own `main` is never the entry point unless SwiftPM
/// itself is told `--sanitize fuzzer`, which rebuilds every dependency with the sanitizers.
/// Each target's main.swift calls this instead: libFuzzer's documented entry point for
/// programs with a `main` of their own.
int tokend_run_libfuzzer(int argc, char **argv);

#endif
