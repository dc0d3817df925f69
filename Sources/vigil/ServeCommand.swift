import ArgumentParser
import Foundation
import Logging
import VigilService
import VigilWeb

/// `vigil serve`: the web report server.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the reports on the web: a day of action as a timeline and a map, missions, campaigns, JSON and CSV.",
        discussion: """
            Read-only, as the vigil_reporter role: small counts are shown as <5, as in every report. It prints \
            its address on stdout and logs each request (method, path, status, time; never a query string) on \
            stderr; Ctrl-C or SIGTERM stops it. The JSON is described at /api/openapi.json.
            Example: vigil serve --port 8080
            """
    )

    @Option(help: "The address to listen on (127.0.0.1: this machine only; 0.0.0.0: every interface).")
    var host = "127.0.0.1"
    @Option(help: "The port to listen on (0: any free port, printed).")
    var port = 8080
    @Option(help: "Database connections kept open for requests.")
    var connections = 4
    @Option(name: .customLong("cache-seconds"), help: "How long a page is served again before it is read anew (0: never kept).")
    var cacheSeconds = 1.0
    @Option(name: .customLong("bench-static"), help: .hidden)
    var benchStatic: String?  // a folder of files served at /bench/NAME: scripts/bench web's baseline

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535, not \(port)") }
        guard (1...64).contains(connections) else { throw ValidationError("--connections must be 1 to 64, not \(connections)") }
        guard (0...3600).contains(cacheSeconds) else { throw ValidationError("--cache-seconds must be 0 to 3600") }
    }

    func run() throws {
        try CLI.run {
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = .info
                return handler
            }
            let logger = Logger(label: "vigil.serve")
            // Every session the server opens is read-only and cannot hang a request for ever: libpq reads
            // these when the connection string does not set them. The reporter role already cannot
            // write; this holds even for a login that could.
            let options = ProcessInfo.processInfo.environment["PGOPTIONS"].map { $0 + " " } ?? ""
            setenv("PGOPTIONS", options + "-c default_transaction_read_only=on -c statement_timeout=15s -c idle_in_transaction_session_timeout=60s", 1)
            if ProcessInfo.processInfo.environment["PGCONNECT_TIMEOUT"] == nil { setenv("PGCONNECT_TIMEOUT", "5", 1) }
            // Read once before listening, so that a database that cannot be reached, or a login without
            // the reporter role, is an error now rather than a 503 on every page.
            let first = VigilService()
            _ = try first.projectionStatus()
            var made = [first]
            let pool = ServicePool(size: connections) { made.popLast() ?? VigilService() }
            let server = ReportServer(
                pool: pool,
                options: .init(host: host, port: port, cacheSeconds: cacheSeconds, benchStaticFolder: benchStatic),
                metrics: .bootstrap())
            let host = self.host
            let outcome = Outcome()
            let done = DispatchSemaphore(value: 0)
            Task {
                do {
                    let app = try server.application(logger: logger) { port in
                        // Written whole and unbuffered, so that a script reading the address gets it at once. On
                        // every interface, the address to open on this machine is the loopback one.
                        let shown = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host.contains(":") ? "[\(host)]" : host
                        FileHandle.standardOutput.write(Data("http://\(shown):\(port)/\n".utf8))
                    }
                    try await app.runService()
                } catch {
                    outcome.error = error
                }
                done.signal()
            }
            done.wait()
            if let error = outcome.error { throw error }
        }
    }

    /// How the server ended, handed from its task to the main thread (after `done` is signalled).
    final class Outcome: @unchecked Sendable {
        var error: (any Error)?
    }
}
