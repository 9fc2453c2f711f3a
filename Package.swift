// swift-tools-version:6.1
// Taizhang (台账): the ledger of poverty-alleviation project assets.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "taizhang",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "taizhangd", targets: ["taizhangd"]),
        .executable(name: "taizhang", targets: ["taizhang"]),
        .executable(name: "taizhang-agent", targets: ["taizhang-agent"]),
        .library(name: "TaizhangClient", targets: ["TaizhangClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // No traits: the default BinaryDelimitedStreams imports full Foundation
        // (and ICU) into every binary, a fifth of the agent's memory.
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0", traits: []),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // TLS for TCP (issue 8): the SwiftNIO project's own TLS, on BoringSSL.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // The daemon's long-running parts as services under one ServiceGroup (issue 17).
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CCrypto",
            path: "Sources/CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // QR codes on printed pages (issue 24).
        .systemLibrary(
            name: "CQRencode",
            path: "Sources/CQRencode",
            pkgConfig: "libqrencode",
            providers: [.apt(["libqrencode-dev"])]
        ),
        // PostgreSQL's client library (issue 25).
        .systemLibrary(
            name: "CLibPQ",
            path: "Sources/CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "CSystemd",
            path: "Sources/CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        // journald's native protocol, for the daemon and the agent.
        .target(
            name: "TaizhangJournal",
            dependencies: ["CSystemd"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TaizhangCore",
            dependencies: ["CCrypto"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TaizhangProto",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TaizhangWire",
            dependencies: [
                "TaizhangProto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TaizhangRecords",
            dependencies: ["TaizhangCore", "TaizhangProto", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TaizhangStore",
            dependencies: ["TaizhangCore", "TaizhangRecords", "CSQLite", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // The store on PostgreSQL (issue 25): a target of its own, which
        // the fuzz harness does not link.
        .target(
            name: "TaizhangPostgres",
            dependencies: ["TaizhangStore", "TaizhangCore", "CLibPQ"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TaizhangServer",
            dependencies: [
                "TaizhangCore", "TaizhangProto", "TaizhangRecords", "TaizhangWire", "TaizhangStore", "CSystemd", "TaizhangJournal",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TaizhangDemo",
            dependencies: ["TaizhangProto"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TaizhangSheets",
            dependencies: ["TaizhangProto", "CQRencode"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TaizhangClient",
            dependencies: [
                "TaizhangProto", "TaizhangWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        // The monitoring agent (issue 22): watches daemons from outside and
        // delivers their alerts; links the client, not the server or store.
        .target(
            name: "TaizhangAgent",
            dependencies: [
                "TaizhangClient", "TaizhangProto", "TaizhangCore", "TaizhangJournal",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "taizhang-agent",
            dependencies: [
                "TaizhangAgent", "CSystemd",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "taizhangd",
            dependencies: [
                "TaizhangServer", "TaizhangStore", "TaizhangPostgres", "TaizhangCore", "CSystemd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "taizhang",
            dependencies: [
                "TaizhangClient", "TaizhangCore", "TaizhangStore", "TaizhangProto", "TaizhangDemo", "TaizhangSheets",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "taizhang-fuzz",
            dependencies: [
                "TaizhangServer", "TaizhangStore", "TaizhangProto", "TaizhangWire",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "taizhang-bench",
            dependencies: [
                "TaizhangProto", "TaizhangWire", "TaizhangDemo", "TaizhangStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TaizhangSheetsTests",
            dependencies: ["TaizhangSheets", "TaizhangProto"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TaizhangAgentTests",
            dependencies: ["TaizhangAgent", "TaizhangCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TaizhangCoreTests",
            dependencies: ["TaizhangCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TaizhangWireTests",
            dependencies: [
                "TaizhangWire", "TaizhangProto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TaizhangStoreTests",
            dependencies: ["TaizhangStore", "TaizhangPostgres", "PostgresTestSupport", "TaizhangCore", "TaizhangRecords"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TaizhangServerTests",
            dependencies: ["TaizhangServer", "TaizhangCore", "TaizhangProto", "TaizhangRecords", "TaizhangStore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // PostgreSQL clusters the tests start themselves (issue 25).
        .target(
            name: "PostgresTestSupport",
            path: "Tests/PostgresTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TaizhangIntegrationTests",
            dependencies: [
                "PostgresTestSupport", "TaizhangClient", "TaizhangProto", "TaizhangWire", "TaizhangSheets",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
