import CLibFuzzerDriver
import Foundation

// The entry point SwiftPM links (see LibFuzzerDriver.h): libFuzzer takes over from here.
exit(tokend_run_libfuzzer(CommandLine.argc, CommandLine.unsafeArgv))
