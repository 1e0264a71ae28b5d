extension Duration {
    /// Whole microseconds, for latencies in health reports.
    var microseconds: Int {
        Int(components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000)
    }
}
