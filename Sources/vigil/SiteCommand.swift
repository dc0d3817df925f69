import ArgumentParser
import Foundation
import VigilService
import VigilWeb

extension ReportCommand {
    /// `vigil report site --out DIR`: the web report's pages as static files.
    struct Site: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the web report's pages as static files: campaigns, days of action, the map, missions, CSV and calendars.",
            discussion: """
                The same pages `vigil serve` shows, in the reporter's view (small counts as <5), with relative links: \
                publish the folder anywhere, or open index.html from disk. Files of the same name are replaced.
                Example: vigil report site --out site
                """
        )

        @Option(help: "The folder to write into (made if missing).")
        var out: String

        func run() throws {
            try CLI.run {
                let service = VigilService()
                let written = try StaticSite.write(
                    service: service, to: URL(fileURLWithPath: out),
                    progress: { FileHandle.standardError.write(Data("vigil: wrote \($0)\n".utf8)) })
                print("wrote \(written.files.count) files to \(out); open \(URL(fileURLWithPath: out).appendingPathComponent("index.html").path)")
            }
        }
    }
}
