import CSystemd

#if canImport(Glibc)
    import Glibc
#endif

/// The systemd service-manager protocol (`sd_notify`): readiness, status, watchdog, reload.
///
/// `sd_notify` opens a fresh socket per call and reads `$NOTIFY_SOCKET` each time; it is safe to
/// call from any thread. Outside systemd (no `$NOTIFY_SOCKET`) every call is a no-op.
public enum ServiceNotifier {
    /// Sends `state` (newline-separated `KEY=value` assignments) with `sd_notify(0, state)`.
    /// - Returns: positive when sent, 0 when not running under systemd, negative errno on error.
    @discardableResult
    public static func notify(_ state: String) -> Int32 {
        sd_notify(0, state)
    }

    /// The watchdog interval systemd expects pings within (`sd_watchdog_enabled`), or nil when
    /// the watchdog is off for this process.
    public static var watchdogInterval: Duration? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return .microseconds(Int64(microseconds))
    }

    /// `CLOCK_MONOTONIC` now, in microseconds, as `RELOADING=1` wants in `MONOTONIC_USEC=`.
    public static var monotonicMicroseconds: UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000 + UInt64(time.tv_nsec) / 1_000
    }
}
