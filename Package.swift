// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "vigil",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vigil", targets: ["vigil"]),
        .executable(name: "vigil-bench", targets: ["VigilBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
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
        // The event log: append with expected version, reads in commit order, idempotency, hash chain, migrations.
        .target(name: "EventStore", dependencies: ["PostgresClient"]),
        // Hex and timestamps as text: the one routine for each, for every layer. Foundation only, a leaf.
        .target(name: "VigilEncoding"),
        // Commands, events, decide and evolve. Foundation only: no SQL, no I/O, no clock, no JSON.
        .target(name: "VigilDomain", dependencies: ["VigilEncoding"]),
        // Events to and from their stored JSON payloads, and the JSON of states and reports. Never SQL.
        .target(name: "VigilCodec", dependencies: ["VigilDomain", "VigilEncoding"]),
        // Pure folds from events to read-model rows, and the runtime that stores them with their checkpoint.
        .target(name: "VigilProjections", dependencies: ["VigilDomain", "VigilCodec", "EventStore", "PostgresClient"]),
        // The application layer: load a stream, decide, append, retry on conflict, catch projections up.
        .target(
            name: "VigilService",
            dependencies: [
                "VigilDomain", "VigilCodec", "VigilEncoding", "EventStore", "VigilProjections",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "vigil",
            dependencies: [
                "VigilService", "VigilDomain", "VigilCodec", "VigilEncoding", "VigilProjections", "EventStore", "PostgresClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
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
        .target(name: "VigilTestSupport", dependencies: ["PostgresClient", "EventStore"], path: "Tests/Support"),
        .testTarget(name: "PostgresClientTests", dependencies: ["PostgresClient", "VigilTestSupport"]),
        .testTarget(name: "EventStoreTests", dependencies: ["EventStore", "PostgresClient", "VigilTestSupport"]),
        .testTarget(name: "VigilEncodingTests", dependencies: ["VigilEncoding"]),
        .testTarget(name: "VigilDomainTests", dependencies: ["VigilDomain"]),
        .testTarget(name: "VigilCodecTests", dependencies: ["VigilCodec", "VigilDomain"]),
        .testTarget(
            name: "VigilProjectionsTests",
            dependencies: [
                "VigilProjections", "VigilDomain", "VigilCodec", "VigilService", "EventStore", "PostgresClient", "VigilTestSupport",
            ]
        ),
        .testTarget(
            name: "VigilCLITests",
            dependencies: ["vigil", "VigilTestSupport", "PostgresClient", "EventStore"],
            exclude: ["Fixtures"]
        ),
    ]
)
