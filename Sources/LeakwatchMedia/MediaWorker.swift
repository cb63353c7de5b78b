import CMediaSandbox
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The first frame a worker sends: it is ready, and which of its protections are in force.
public struct MediaWorkerHello: Sendable, Hashable, Codable {
    public var ready: Bool
    /// The Landlock ABI applied (no writes anywhere, reads only under system data directories),
    /// or why not (a kernel without Landlock).
    public var landlock: String
    /// The seccomp filter, or why not.
    public var seccomp: String
    /// OCR is available, or why not.
    public var ocr: String
}

/// `leakwatch media-worker`: the child process that decodes media. Before it reads a byte of
/// input it limits itself (address space, CPU time, no file writes, few descriptors, no core
/// dumps), dies with its parent, and shuts itself off from the rest of the system (no new
/// privileges, Landlock, a seccomp filter). Then it answers requests on descriptor 3 until the
/// parent closes it. A hostile file can only crash or stall this process, which the parent kills.
public enum MediaWorker {
    /// How the worker is started (from its command line).
    public struct Settings: Sendable, Hashable {
        /// The process that must be its parent (it exits when that one dies).
        public var parent: Int32
        /// Address space limit (`RLIMIT_AS`).
        public var maxMemoryBytes: Int
        /// CPU seconds for the whole life of the worker (`RLIMIT_CPU` hard limit); each file gets
        /// its own, smaller soft limit.
        public var cpuSeconds: Int
        public var ocrLanguages: String
        public var tessdata: String?

        public init(parent: Int32, maxMemoryBytes: Int, cpuSeconds: Int, ocrLanguages: String, tessdata: String?) {
            self.parent = parent
            self.maxMemoryBytes = maxMemoryBytes
            self.cpuSeconds = cpuSeconds
            self.ocrLanguages = ocrLanguages
            self.tessdata = tessdata
        }
    }

    /// The descriptor the parent hands over.
    static let channelDescriptor: Int32 = 3

    /// Directories a sandboxed worker may still read: fonts (for PDF pages rendered for OCR) and
    /// the OCR data.
    static let readableDirectories = ["/usr/share", "/usr/lib", "/etc/fonts", "/var/cache/fontconfig"]

    /// Runs the worker; returns its exit status (0 when the parent closed the channel).
    public static func run(_ settings: Settings) -> Int32 {
        let channel = MediaWorkerChannel(fd: channelDescriptor)
        guard lwsandbox_die_with_parent(settings.parent) == 0 else { return 3 }
        let limits: [(Int32, UInt64, UInt64)] = [
            (Int32(LWSANDBOX_LIMIT_ADDRESS_SPACE), UInt64(settings.maxMemoryBytes), UInt64(settings.maxMemoryBytes)),
            (Int32(LWSANDBOX_LIMIT_CPU_SECONDS), UInt64(settings.cpuSeconds), UInt64(settings.cpuSeconds) + 1),
            (Int32(LWSANDBOX_LIMIT_FILE_SIZE), 0, 0),
            (Int32(LWSANDBOX_LIMIT_CORE_SIZE), 0, 0),
            (Int32(LWSANDBOX_LIMIT_OPEN_FILES), 64, 64),
        ]
        for (resource, soft, hard) in limits where lwsandbox_set_limit(resource, soft, hard) != 0 {
            return 4  // Never work without the limits.
        }
        let analyzer = MediaAnalyzer(ocrLanguages: settings.ocrLanguages, tessdata: settings.tessdata)
        let ocr = analyzer.prepareOCR().map(\.message) ?? "ready"
        guard lwsandbox_no_new_privileges() == 0 else { return 5 }
        var readable = readableDirectories
        if let tessdata = settings.tessdata { readable.append(tessdata) }
        let landlock = withCStrings(readable) { lwsandbox_restrict_files($0, Int32(readable.count)) }
        let seccomp = lwsandbox_filter_system_calls()
        let hello = MediaWorkerHello(
            ready: true, landlock: landlock > 0 ? "ABI \(landlock)" : "unavailable: \(describe(errno: -landlock))",
            seccomp: seccomp == 0 ? "filtering" : "unavailable: \(describe(errno: -seccomp))", ocr: ocr)
        let encoder = JSONEncoder()
        let decoder = JSONDecoder()
        do {
            try channel.sendJSON(Array(try encoder.encode(hello)), deadline: nil)
            while true {
                let (header, payload) = try channel.receiveRequest()
                let answer: MediaAnswer
                if let request = try? decoder.decode(MediaAnalysisRequest.self, from: Data(header)) {
                    limitCPU(forOneFile: request.cpuSeconds, total: settings.cpuSeconds)
                    answer = analyzer.analyze(payload, request: request)
                } else {
                    answer = .failure(MediaProblem(.workerFailed, "the request could not be read"))
                }
                try channel.sendJSON(Array(try encoder.encode(answer)), deadline: nil)
            }
        } catch let error as MediaWorkerError where error.kind == .closed {
            return 0
        } catch {
            return 6
        }
    }

    /// The soft CPU limit: what has been used so far plus `seconds` (SIGXCPU ends the worker
    /// there); the hard limit stays at the worker's total.
    private static func limitCPU(forOneFile seconds: Int, total: Int) {
        let used = max(0, Int(lwsandbox_cpu_seconds_used()))
        let soft = min(total, used + max(1, seconds))
        _ = lwsandbox_set_limit(Int32(LWSANDBOX_LIMIT_CPU_SECONDS), UInt64(soft), UInt64(total) + 1)
    }

    private static func describe(errno number: Int32) -> String {
        String(cString: strerror(number))
    }

    private static func withCStrings<Result>(
        _ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> Result
    ) -> Result {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let pointers = copies.map { UnsafePointer($0) }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
