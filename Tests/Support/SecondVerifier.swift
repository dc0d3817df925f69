import Foundation

/// scripts/audit-verify.py, the second verifier of an export (Python and OpenSSL alone).
public enum SecondVerifier {
    /// Runs it on an export and an anchor: its exit status and what it printed.
    public static func run(_ export: String, _ anchor: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", TestDatabase.projectFolder.appendingPathComponent("scripts/audit-verify.py").path, export, anchor]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
