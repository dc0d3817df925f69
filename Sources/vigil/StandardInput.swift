import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Names, notes and reasons are sealed in the vault, but given on the command line they stay in the
/// shell's history and, while the command runs, in its arguments, which any user of the machine can
/// list. `-` as the value of one of them reads it from standard input instead, whole (a trailing line
/// break dropped): one such value per command. Hand-written rather than an argument-parser type, so that
/// every sealed option takes it without each command's options changing type.
enum StandardInput {
    /// The options whose values the vault seals (the fields `FieldClasses` classes organiser or restricted).
    static let sealedOptions: Set<String> = [
        "--organiser", "--received-by", "--endorser", "--office", "--notes", "--reason", "--summary", "--claim",
    ]

    /// The most a value read from standard input may hold.
    static let limit = 1 << 20

    /// `arguments` with the one sealed option given as `-` given what standard input holds (`read`).
    static func arguments(_ arguments: [String], read: (Int) throws -> Data? = { try FileHandle.standardInput.read(upToCount: $0) }) throws -> [String] {
        // Asked for help, the command reads nothing: at a terminal it would wait for a value it never uses.
        if arguments.prefix(while: { $0 != "--" }).contains(where: { $0 == "--help" || $0 == "-h" }) { return arguments }
        var out = arguments
        var taken: String?
        var i = 0
        while i < out.count, out[i] != "--" {
            let argument = out[i]
            let (name, inline) = argument.firstIndex(of: "=").map { (String(argument[..<$0]), true) } ?? (argument, false)
            let valueIndex = inline ? i : i + 1
            guard sealedOptions.contains(name), valueIndex < out.count,
                (inline ? String(argument[argument.index(after: argument.firstIndex(of: "=")!)...]) : out[valueIndex]) == "-"
            else {
                i += 1
                continue
            }
            if let taken {
                throw ValidationError("\(taken) and \(name) both ask for standard input: give one of them there, the other on the command line")
            }
            taken = name
            prompt("\(name) -: type the value, then press Ctrl-D on a line of its own")
            let data: Data
            do {
                data = try read(limit + 1) ?? Data()
            } catch {
                throw ValidationError("\(name) -: standard input cannot be read (is it closed?); write the value there")
            }
            guard data.count <= limit else { throw ValidationError("\(name) -: standard input holds more than \(limit) bytes") }
            guard var value = String(data: data, encoding: .utf8) else {
                throw ValidationError("\(name) -: standard input is not UTF-8 text")
            }
            // ("\r\n" is one Character.)
            if value.hasSuffix("\r\n") || value.hasSuffix("\n") { value.removeLast() }
            guard !value.isEmpty else { throw ValidationError("\(name) -: standard input was empty; write the value there") }
            // Always as --name=value: a value of its own that begins with "-" (a list of notes) would be
            // read as an option.
            out[i] = "\(name)=\(value)"
            if !inline { out.remove(at: valueIndex) }
            i += 1
        }
        return out
    }

    /// One line of standard input holding a person's identity (a signer's e-mail address or name, the
    /// person to erase), its line break dropped; empty at the end of input. Typed at a terminal it is not
    /// echoed, as a password is not: on the screen, in the terminal's scrollback or a screen recording it
    /// would outlast the command, at a stall or an embassy's gate where others look on. Piped or
    /// redirected, it is read as it is. The terminal is put back as it was, also when the command is
    /// interrupted (Ctrl-C) while it waits. Hand-written: no package here reads a line without echo.
    static func identityLine(prompt text: String) -> String {
        guard isatty(STDIN_FILENO) != 0, tcgetattr(STDIN_FILENO, Terminal.saved) == 0 else {
            prompt(text)
            return readLine(strippingNewline: true) ?? ""
        }
        Terminal.quiet.pointee = Terminal.saved.pointee
        Terminal.quiet.pointee.c_lflag &= ~tcflag_t(ECHO)
        Terminal.quiet.pointee.c_lflag |= tcflag_t(ECHONL)  // the Enter still moves to the next line
        // Ending signals put the terminal back first; one ignored (nohup) stays ignored. Ctrl-Z is
        // ignored while it waits: stopped, the shell puts its own settings back and `fg` would carry on
        // with echo on; continued after another stop, the echo goes off again.
        let ending = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]
        let previous = ending.map { number in
            let old = signal(number, Terminal.restoreAndRaise)
            if unsafeBitCast(old, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) { signal(number, SIG_IGN) }
            return old
        }
        let previousStop = signal(SIGTSTP, SIG_IGN)
        let previousContinue = signal(SIGCONT, Terminal.quietAgain)
        // Unblocked while it waits: started with them blocked (as a test harness's thread starts its
        // children), Ctrl-C would do nothing and the person at the keyboard could not leave.
        var wanted = sigset_t()
        var blocked = sigset_t()
        sigemptyset(&wanted)
        for number in ending + [SIGCONT] { sigaddset(&wanted, number) }
        pthread_sigmask(SIG_UNBLOCK, &wanted, &blocked)
        tcsetattr(STDIN_FILENO, TCSANOW, Terminal.quiet)
        defer {
            tcsetattr(STDIN_FILENO, TCSANOW, Terminal.saved)
            pthread_sigmask(SIG_SETMASK, &blocked, nil)
            for (number, handler) in zip(ending, previous) { signal(number, handler) }
            signal(SIGTSTP, previousStop)
            signal(SIGCONT, previousContinue)
        }
        prompt(text + " (not shown as you type)")
        return readLine(strippingNewline: true) ?? ""
    }

    /// Says on standard error what a command waits for, when standard input is a terminal: a value piped
    /// or redirected needs no word, but typed at a terminal the command would otherwise sit silent.
    static func prompt(_ text: String, isTerminal: Bool = isatty(STDIN_FILENO) != 0) {
        guard isTerminal else { return }
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// The terminal's settings while `StandardInput.identityLine` reads without echo, for its signal handlers:
/// behind pointers allocated once, before any handler is installed, so that a handler (on whichever
/// thread takes the signal) only reads memory, with no Swift access check on the way.
enum Terminal {
    // nonisolated(unsafe): written only by `identityLine` before it installs the handlers, then read.
    nonisolated(unsafe) static let saved = UnsafeMutablePointer<termios>.allocate(capacity: 1)
    nonisolated(unsafe) static let quiet = UnsafeMutablePointer<termios>.allocate(capacity: 1)

    /// Puts the terminal back, then dies of the signal as if it had not been caught.
    static let restoreAndRaise: @convention(c) (Int32) -> Void = { number in
        tcsetattr(STDIN_FILENO, TCSANOW, Terminal.saved)
        signal(number, SIG_DFL)
        raise(number)
    }

    /// Continued after a stop (SIGSTOP, SIGTTIN), during which a shell may have put its own settings back.
    static let quietAgain: @convention(c) (Int32) -> Void = { _ in
        tcsetattr(STDIN_FILENO, TCSANOW, Terminal.quiet)
    }
}
