import Posix

/// Where output goes and how it looks.
enum Terminal {
    static var stdoutIsTerminal: Bool { Posix.isTerminal(1) }
    static var stderrIsTerminal: Bool { Posix.isTerminal(2) }

    /// Colour only on a terminal, and never when `NO_COLOR` is set.
    static func useColor(_ choice: ColorChoice) -> Bool {
        switch choice {
        case .always: true
        case .never: false
        case .auto:
            stdoutIsTerminal && Posix.environment("NO_COLOR") == nil && Posix.environment("TERM") != "dumb"
        }
    }

    static func write(_ line: String) {
        print(line)
    }

    /// Writes `text` as it is, without a line break (a piece of a longer output).
    static func writeRaw(_ text: String) {
        print(text, terminator: "")
    }

    static func error(_ message: String) {
        writeStderr("leakwatch: \(message)\n")
    }

    static func warn(_ message: String) {
        writeStderr("leakwatch: warning: \(message)\n")
    }

    static func writeStderr(_ text: String) {
        Posix.writeStandardError(text)
    }
}

enum ColorChoice: String, CaseIterable {
    case auto, always, never
}

/// A one-line progress bar on stderr, for long scans on a terminal.
struct ProgressBar {
    let total: Int
    let enabled: Bool

    func update(done: Int, current: String) {
        guard enabled else { return }
        let width = 30
        let filled = total == 0 ? width : done * width / total
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let name = current.count > 40 ? "…" + current.suffix(39) : current
        Terminal.writeStderr("\r\u{1B}[K[\(bar)] \(done)/\(total) \(name)")
    }

    func finish() {
        guard enabled else { return }
        Terminal.writeStderr("\r\u{1B}[K")
    }
}
