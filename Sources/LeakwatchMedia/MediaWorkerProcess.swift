import CMediaSandbox
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// How to start media workers: which executable (leakwatch itself, re-executed in its hidden
/// `media-worker` mode) and with which process-wide limits.
public struct MediaWorkerLauncher: Sendable, Hashable {
    /// The `leakwatch` executable. `/proc/self/exe` when the running program is leakwatch.
    public var executable: String
    /// Address space of a worker.
    public var maxMemoryBytes: Int
    /// CPU seconds a worker may use in all (it is started for one export, or one file).
    public var cpuSeconds: Int
    public var ocrLanguages: String
    public var tessdata: String?
    /// How long a worker may take to start (load its libraries and OCR data).
    public var startTimeout: Duration

    public init(
        executable: String = "/proc/self/exe", maxMemoryBytes: Int = 1 << 30, cpuSeconds: Int = 600,
        ocrLanguages: String = "eng", tessdata: String? = nil, startTimeout: Duration = .seconds(30)
    ) {
        self.executable = executable
        self.maxMemoryBytes = maxMemoryBytes
        self.cpuSeconds = cpuSeconds
        self.ocrLanguages = ocrLanguages
        self.tessdata = tessdata
        self.startTimeout = startTimeout
    }

    /// The worker's command line.
    var arguments: [String] {
        var arguments = [
            "leakwatch", "media-worker", "--parent", String(getpid()), "--max-memory", String(maxMemoryBytes),
            "--cpu-seconds", String(cpuSeconds), "--ocr-languages", ocrLanguages,
        ]
        if let tessdata { arguments += ["--tessdata", tessdata] }
        return arguments
    }

    /// The worker's environment: the parent's, with Tesseract's OpenMP held to one thread (it is
    /// read when the library loads, so it must be there at exec) and Swift's crash backtracer
    /// off (the sandbox would stop it, and the parent only needs to know the worker died).
    var environment: [String] {
        var environment = ProcessInfo.processInfo.environment
        environment["OMP_THREAD_LIMIT"] = "1"
        environment["SWIFT_BACKTRACE"] = "enable=no"
        return environment.map { "\($0.key)=\($0.value)" }.sorted()
    }
}

/// One media worker child process and the socket to it. Owned: killed (SIGKILL) and reaped when
/// this object goes, or as soon as it fails, times out or dies; a new one is then started for the
/// next file. Not for two threads at once.
public final class MediaWorkerProcess {
    public let pid: pid_t
    public let hello: MediaWorkerHello
    private let channel: MediaWorkerChannel
    private var exited = false

    /// Why a worker could not analyse a file.
    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// It could not be started, or did not say it was ready.
        case start(String)
        /// It died: how (a signal, an exit status), and what that usually means.
        case died(String)
        /// It did not answer before the deadline and was killed.
        case timedOut
        /// It answered something that is not an answer.
        case protocolError(String)

        public var description: String {
            switch self {
            case .start(let why): "the media worker could not be started: \(why)"
            case .died(let how): "the media worker died on it: \(how)"
            case .timedOut: "the media worker did not finish in time and was killed"
            case .protocolError(let why): "the media worker answered nonsense: \(why)"
            }
        }
    }

    /// Starts a worker and waits for it to say it is ready.
    public init(_ launcher: MediaWorkerLauncher) throws(Failure) {
        var sockets: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &sockets) == 0 else {
            throw .start("socketpair failed: \(String(cString: strerror(errno)))")
        }
        let arguments = launcher.arguments.map { strdup($0) } + [nil]
        let environment = launcher.environment.map { strdup($0) } + [nil]
        defer {
            arguments.forEach { free($0) }
            environment.forEach { free($0) }
        }
        var child: pid_t = 0
        let spawned = lwsandbox_spawn(launcher.executable, arguments, environment, sockets[1], &child)
        close(sockets[1])
        guard spawned == 0 else {
            close(sockets[0])
            throw .start("cannot run \(launcher.executable): \(String(cString: strerror(-spawned)))")
        }
        _ = fcntl(sockets[0], F_SETFL, fcntl(sockets[0], F_GETFL) | O_NONBLOCK)
        pid = child
        channel = MediaWorkerChannel(fd: sockets[0])
        do {
            let json = try channel.receiveJSON(deadline: .now + launcher.startTimeout)
            hello = try JSONDecoder().decode(MediaWorkerHello.self, from: Data(json))
        } catch {
            let how = Self.reap(child, killing: true)
            close(sockets[0])
            throw .start(how ?? "\(error)")
        }
    }

    deinit {
        if !exited { _ = Self.reap(pid, killing: true) }
        close(channel.fd)
    }

    /// Whether the worker is still usable (it has not died or been killed).
    public var isAlive: Bool { !exited }

    /// Sends one file and waits for the answer until `deadline`. On any failure the worker is
    /// killed and reaped, and is no longer alive.
    public func analyze(_ bytes: [UInt8], request: MediaAnalysisRequest, deadline: ContinuousClock.Instant)
        -> Result<MediaAnswer, Failure>
    {
        guard !exited else { return .failure(.died("it had already stopped")) }
        do {
            let header = Array(try JSONEncoder().encode(request))
            try channel.sendRequest(header, payload: bytes, deadline: deadline)
            let json = try channel.receiveJSON(deadline: deadline)
            guard let answer = try? JSONDecoder().decode(MediaAnswer.self, from: Data(json)) else {
                stop()
                return .failure(.protocolError("an answer that is not JSON of the protocol"))
            }
            return .success(answer)
        } catch let error as MediaWorkerError {
            if case .timedOut = error.kind {
                stop()
                return .failure(.timedOut)
            }
            let how = Self.reap(pid, killing: true) ?? "\(error)"
            exited = true
            return .failure(.died(how))
        } catch {
            stop()
            return .failure(.protocolError("\(error)"))
        }
    }

    /// Kills the worker (SIGKILL) and reaps it.
    public func stop() {
        guard !exited else { return }
        _ = Self.reap(pid, killing: true)
        exited = true
    }

    /// Waits for `pid` to end (killing it first when asked) and says how it ended.
    static func reap(_ pid: pid_t, killing: Bool) -> String? {
        // A worker whose channel closed is exiting or already gone: give it a moment to be
        // reaped with its own status before it is killed.
        var status: Int32 = 0
        var result: pid_t = 0
        for _ in 0..<50 {
            result = waitpid(pid, &status, WNOHANG)
            if result != 0 || !killing { break }
            usleep(2_000)
        }
        if result == 0 {
            kill(pid, SIGKILL)
            repeat { result = waitpid(pid, &status, 0) } while result < 0 && errno == EINTR
            return "killed (it did not exit)"
        }
        guard result == pid else { return nil }
        return describe(status: status)
    }

    /// `exit status 4`, `killed by signal 24 (SIGXCPU: its CPU time limit)`, ...
    static func describe(status: Int32) -> String {
        let signal = status & 0x7F
        if signal == 0 {
            let code = (status >> 8) & 0xFF
            switch code {
            case 4: return "exit status 4 (it could not set its resource limits)"
            case 5: return "exit status 5 (it could not drop privileges)"
            default: return "exit status \(code)"
            }
        }
        let meaning: String
        switch signal {
        case SIGXCPU: meaning = "SIGXCPU: its CPU time limit"
        case SIGKILL: meaning = "SIGKILL: killed, its hard CPU limit or the out-of-memory killer"
        case SIGSEGV: meaning = "SIGSEGV: a crash in a decoder"
        case SIGABRT: meaning = "SIGABRT: an abort, often memory exhausted under its address space limit"
        case SIGBUS: meaning = "SIGBUS: a crash in a decoder"
        case SIGSYS: meaning = "SIGSYS: a forbidden system call"
        case SIGXFSZ: meaning = "SIGXFSZ: it tried to write a file"
        default: meaning = String(cString: strsignal(signal))
        }
        return "killed by signal \(signal) (\(meaning))"
    }
}
