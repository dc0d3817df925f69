import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension VigilBinary {
    /// What a run showed on its terminal (a pseudo-terminal: standard input, output and error), how it
    /// ended, and whether the terminal echoed what is typed once it had.
    public struct TerminalRun: Sendable {
        public var status: Int32
        /// Everything the terminal displayed: what the command wrote, and what it echoed of the typing.
        public var screen: String
        public var echoAfter: Bool
    }

    /// Runs `vigil ARGS…` against `database` on a pseudo-terminal, as someone at a keyboard would: waits
    /// until the screen shows `prompt`, then types `typing` (or, with `interrupt`, sends SIGINT instead),
    /// and reads the screen until the command ends. Unlike `script(1)` fed from a pipe, nothing is typed
    /// before the command asked for it, so its echo is the command's doing, not a race.
    /// With `stoppedFirst`, before typing it does what Ctrl-Z and `fg` at a shell do: sends SIGTSTP, puts
    /// the echo back on as the shell does when a job stops, then sends SIGCONT.
    public static func atTerminal(_ arguments: [String], database: String, prompt: String, typing: String,
                                  interrupt: Bool = false, stoppedFirst: Bool = false) throws -> TerminalRun {
        var master: Int32 = -1
        var slave: Int32 = -1
        guard openpty(&master, &slave, nil, nil, nil) == 0 else { throw TestFailure("openpty failed: errno \(errno)") }
        defer { close(master) }
        let process = process(arguments, database: database)
        let tty = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
        process.standardInput = tty
        process.standardOutput = tty
        process.standardError = tty
        try process.run()
        close(slave)
        var screen = Data()
        // Reads what the screen shows until `until` holds, the command has closed the terminal, or 30 s.
        func read(until: (String) -> Bool) {
            let deadline = Date().addingTimeInterval(30)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while Date() < deadline && !until(String(decoding: screen, as: UTF8.self)) {
                var ready = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
                guard poll(&ready, 1, 100) >= 0 else { return }
                if ready.revents == 0 { continue }
                let n = Glibc.read(master, &buffer, buffer.count)
                if n <= 0 { return }  // EIO: every copy of the terminal is closed
                screen.append(contentsOf: buffer[0..<n])
            }
        }
        read { $0.contains(prompt) }
        if stoppedFirst {
            kill(process.processIdentifier, SIGTSTP)
            usleep(300_000)
            var settings = termios()
            tcgetattr(master, &settings)
            settings.c_lflag |= tcflag_t(ECHO)
            tcsetattr(master, TCSANOW, &settings)
            kill(process.processIdentifier, SIGCONT)
            usleep(300_000)
        }
        if interrupt {
            process.interrupt()
        } else {
            _ = typing.utf8.withContiguousStorageIfAvailable { write(master, $0.baseAddress, $0.count) }
        }
        read { _ in false }
        // Still waiting after 30 s: it did not take what was typed (or the signal); a failure, not a hang.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        var settings = termios()
        let echo = tcgetattr(master, &settings) == 0 && settings.c_lflag & tcflag_t(ECHO) != 0
        return TerminalRun(status: process.terminationStatus, screen: String(decoding: screen, as: UTF8.self), echoAfter: echo)
    }
}
