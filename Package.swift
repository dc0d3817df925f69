// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "vigil",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vigil", targets: ["vigil"]),
        .executable(name: "vigil-bench", targets: ["VigilBench"]),
        .executable(name: "vigil-audit-bench", targets: ["VigilAuditBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
    ],
    targets: [
        // The C module over libpq. Only PostgresClient imports it, and it does so `internal`,
        // so no C type reaches a public API.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // Connection, parameterised queries, rows, typed errors, transactions, pipeline, COPY, LISTEN/NOTIFY.
        .target(name: "PostgresClient", dependencies: ["CLibPQ", "VigilEncoding"]),
        // Hex and timestamps as text: the one routine for each, for every layer. Foundation only, a leaf.
        .target(name: "VigilEncoding"),
        // Anchors, keys, the Merkle tree, the export format and verifying an export: pure Swift over
        // swift-crypto, no database and no libpq, so an auditor's verifier can be built from it alone.
        .target(name: "VigilAudit", dependencies: ["VigilEncoding", .product(name: "Crypto", package: "swift-crypto")]),
        // The event log: append with expected version, reads in commit order, idempotency, hash chain, migrations,
        // and (with VigilAudit) anchoring, exporting and verifying the log against an anchor.
        .target(name: "EventStore", dependencies: ["PostgresClient", "VigilAudit", "VigilEncoding"]),
        // The vault: people's data sealed under per-subject keys wrapped by a master key kept outside the
        // database, blind indexes for deduplication, erasure and key rotation. Its own SQL, like the store's.
        .target(
            name: "VigilVault",
            dependencies: ["PostgresClient", "VigilAudit", "VigilEncoding", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // Commands, events, decide and evolve. Foundation only: no SQL, no I/O, no clock, no JSON.
        .target(name: "VigilDomain", dependencies: ["VigilEncoding"]),
        // Events to and from their stored JSON payloads, and the JSON of states and reports. Never SQL.
        .target(name: "VigilCodec", dependencies: ["VigilDomain", "VigilEncoding"]),
        // The signer file an import reads: a one-pass CSV reader over the mapped file. No database.
        .target(name: "VigilSignerFile", dependencies: ["VigilDomain"]),
        // Pure folds from events to read-model rows, and the runtime that stores them with their checkpoint.
        .target(name: "VigilProjections", dependencies: ["VigilDomain", "VigilCodec", "EventStore", "PostgresClient"]),
        // The one front door: every use case as a call taking and returning Swift values; owns sessions,
        // roles, the command pipeline (decide, append, retry a lost race) and catching projections up.
        .target(
            name: "VigilService",
            dependencies: [
                "VigilDomain", "VigilCodec", "VigilEncoding", "VigilSignerFile", "EventStore", "VigilProjections", "VigilAudit",
                "VigilVault", .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The web report server and the static site: pages, JSON and OpenAPI over the service's report calls,
        // read-only, as the reporter role. Hummingbird for HTTP; the service's blocking calls run off its event loop.
        .target(
            name: "VigilWeb",
            dependencies: [
                "VigilService", "VigilDomain", "VigilEncoding", "VigilProjections", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"), .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .executableTarget(
            name: "vigil",
            // A front end: it parses, calls the service, renders. It never imports the store or the client.
            dependencies: [
                "VigilService", "VigilDomain", "VigilEncoding", "VigilWeb",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // Benchmarks against raw PostgreSQL doing the same rows in the same run (scripts/bench).
        .executableTarget(
            name: "VigilBench",
            dependencies: [
                "EventStore", "PostgresClient", "VigilDomain", "VigilCodec", "VigilProjections", "VigilService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Time and peak memory of anchoring, exporting and verifying a large log (scripts/bench-audit).
        .executableTarget(name: "VigilAuditBench", dependencies: ["EventStore", "PostgresClient", "VigilAudit"]),
        .target(name: "VigilTestSupport", dependencies: ["PostgresClient", "EventStore"], path: "Tests/Support"),
        .testTarget(name: "PostgresClientTests", dependencies: ["PostgresClient", "VigilTestSupport"]),
        .testTarget(name: "EventStoreTests", dependencies: ["EventStore", "PostgresClient", "VigilTestSupport", "VigilAudit"]),
        // No database: keys, anchors, the Merkle tree and offline verification.
        .testTarget(name: "VigilAuditTests", dependencies: ["VigilAudit", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "VigilEncodingTests", dependencies: ["VigilEncoding"]),
        .testTarget(name: "VigilDomainTests", dependencies: ["VigilDomain"]),
        .testTarget(name: "VigilCodecTests", dependencies: ["VigilCodec", "VigilDomain", "VigilEncoding"]),
        .testTarget(
            name: "VigilServiceTests", dependencies: ["VigilService", "VigilDomain", "EventStore", "PostgresClient", "VigilTestSupport", "VigilVault"]),
        // No database: master keys, key files, sealing and blind indexes.
        .testTarget(name: "VigilVaultTests", dependencies: ["VigilVault", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "VigilSignerFileTests", dependencies: ["VigilSignerFile", "VigilDomain"]),
        .testTarget(
            name: "VigilProjectionsTests",
            dependencies: [
                "VigilProjections", "VigilDomain", "VigilCodec", "VigilService", "EventStore", "PostgresClient", "VigilTestSupport",
            ]
        ),
        // The web server driven in-process (Hummingbird's test client) and in a real headless browser.
        .testTarget(
            name: "VigilWebTests",
            dependencies: [
                "VigilWeb", "VigilService", "VigilTestSupport", "PostgresClient", "EventStore",
                .product(name: "HummingbirdTesting", package: "hummingbird"), .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .testTarget(
            name: "VigilCLITests",
            dependencies: ["vigil", "VigilTestSupport", "PostgresClient", "EventStore", "VigilAudit"],
            exclude: ["Fixtures"]
        ),
    ]
)
