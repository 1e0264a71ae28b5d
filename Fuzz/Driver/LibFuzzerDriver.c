#include "LibFuzzerDriver.h"

#include <stddef.h>
#include <stdint.h>

// Both defined at link time: the first by the target (`@_cdecl`), the second by libFuzzer
// (linked in by -sanitize=fuzzer).
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*testOneInput)(const uint8_t *data, size_t size));

int tokend_run_libfuzzer(int argc, char **argv) {
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}
