import Foundation
import Metrics
import Synchronization

/// The process's own figures under the names Prometheus' client libraries give them
/// (`process_cpu_seconds_total`, `process_resident_memory_bytes`, …), read from /proc when
/// `/metrics` is scraped. Neither swift-metrics nor swift-prometheus exports them, and the
/// package that does (swift-metrics-extras) is not in the package mirror: a page of code.
final class ProcessMetrics: Sendable {
    private let cpuSeconds: FloatingPointCounter
    private let residentBytes: Gauge
    private let virtualBytes: Gauge
    private let openFileDescriptors: Gauge
    private let maximumFileDescriptors: Gauge
    private let startTime: Gauge
    /// CPU seconds already counted, so each scrape adds what was used since.
    private let countedCPUSeconds = Mutex(0.0)

    init(factory: any MetricsFactory) {
        cpuSeconds = FloatingPointCounter(label: "process_cpu_seconds_total", factory: factory)
        residentBytes = Gauge(label: "process_resident_memory_bytes", factory: factory)
        virtualBytes = Gauge(label: "process_virtual_memory_bytes", factory: factory)
        openFileDescriptors = Gauge(label: "process_open_fds", factory: factory)
        maximumFileDescriptors = Gauge(label: "process_max_fds", factory: factory)
        startTime = Gauge(label: "process_start_time_seconds", factory: factory)
    }

    func refresh() {
        #if os(Linux)
            guard let stat = Self.stat() else { return }
            let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
            let cpu = (stat.userTicks + stat.systemTicks) / ticks
            let added = countedCPUSeconds.withLock { counted in
                defer { counted = max(counted, cpu) }
                return cpu - counted
            }
            if added > 0 { cpuSeconds.increment(by: added) }
            residentBytes.record(stat.residentPages * Double(sysconf(Int32(_SC_PAGESIZE))))
            virtualBytes.record(stat.virtualBytes)
            if let bootTime = Self.bootTime() { startTime.record(bootTime + stat.startTicks / ticks) }
            if let open = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") { openFileDescriptors.record(open.count) }
            var limit = rlimit()
            if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { maximumFileDescriptors.record(Double(limit.rlim_cur)) }
        #endif
    }

    private struct Stat {
        var userTicks: Double, systemTicks: Double, startTicks: Double, virtualBytes: Double, residentPages: Double
    }

    /// /proc/self/stat (proc(5)): the fields after the command's closing parenthesis, which
    /// may itself hold spaces; utime and stime are fields 14 and 15, starttime 22, vsize 23, rss 24.
    private static func stat() -> Stat? {
        guard let text = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let end = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: end)...].split(separator: " ").compactMap { Double($0) }
        // fields[0] is field 4 (ppid): field n is fields[n - 4].
        guard fields.count >= 21 else { return nil }
        return Stat(
            userTicks: fields[10], systemTicks: fields[11], startTicks: fields[18], virtualBytes: fields[19], residentPages: fields[20])
    }

    /// The machine's boot time, in seconds since 1970 (`btime` in /proc/stat).
    private static func bootTime() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix("btime ") }.flatMap { Double($0.dropFirst(6)) }
    }
}
