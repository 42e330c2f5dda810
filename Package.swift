// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "ssowatch",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ssowatch", targets: ["ssowatch"]),
        // Every library target, for programs outside this package (the fuzzers in fuzz/).
        .library(
            name: "SSOWatch",
            targets: [
                "SSOWatchModel", "SSOWatchConfig", "SSOWatchHTTP", "SSOWatchCloudflare", "SSOWatchState",
                "SSOWatchNotify", "SSOWatchDNS", "SSOWatchDaemon",
            ]
        ),
        .library(name: "SSOWatchSimulator", targets: ["SSOWatchSimulator"]),
        // The DNS client alone: its fuzzer builds without the rest.
        .library(name: "SSOWatchDNS", targets: ["SSOWatchDNS"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        // The library targets, lowest first. Each may import only the targets listed as its dependencies,
        // so the compiler enforces the arrows of docs/ARCHITECTURE.md.
        // mallopt() from <malloc.h>, which the Glibc module does not export.
        .systemLibrary(name: "CMalloc"),
        .target(name: "SSOWatchModel"),
        .target(name: "SSOWatchConfig", dependencies: ["SSOWatchModel", "SSOWatchDNS"]),
        .target(
            name: "SSOWatchHTTP",
            dependencies: [
                "SSOWatchModel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .target(
            name: "SSOWatchCloudflare",
            dependencies: ["SSOWatchModel", "SSOWatchConfig", "SSOWatchHTTP"]
        ),
        .target(
            name: "SSOWatchState",
            dependencies: [
                "SSOWatchModel", "SSOWatchConfig", "SSOWatchDNS",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "SSOWatchNotify",
            dependencies: [
                "SSOWatchModel", "SSOWatchConfig", "SSOWatchHTTP",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "SSOWatchDaemon",
            dependencies: [
                "CSystemd", "CMalloc", "SSOWatchModel", "SSOWatchConfig", "SSOWatchHTTP", "SSOWatchCloudflare",
                "SSOWatchState", "SSOWatchNotify", "SSOWatchDNS",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The state store and leadership of an active/passive pair on PostgreSQL (docs/HA.md).
        .target(
            name: "SSOWatchPostgres",
            dependencies: [
                "SSOWatchModel", "SSOWatchConfig", "SSOWatchState",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The DNS check's codec, client, lookup and diagnosis: it knows only the model of ssowatch.
        .target(
            name: "SSOWatchDNS",
            dependencies: [
                "SSOWatchModel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "SSOWatchSimulator",
            dependencies: [
                "SSOWatchModel", "SSOWatchConfig", "SSOWatchCloudflare", "SSOWatchState", "SSOWatchNotify",
                "SSOWatchDaemon", "SSOWatchDNS",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "ssowatch",
            dependencies: [
                "SSOWatchModel", "SSOWatchConfig", "SSOWatchHTTP", "SSOWatchCloudflare", "SSOWatchState",
                "SSOWatchNotify", "SSOWatchDaemon", "SSOWatchSimulator", "SSOWatchPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "UnitTests",
            dependencies: [
                "SSOWatchModel", "SSOWatchConfig", "SSOWatchHTTP", "SSOWatchCloudflare", "SSOWatchState",
                "SSOWatchNotify", "SSOWatchDNS", "SSOWatchDaemon", "SSOWatchSimulator", "SSOWatchTestSupport",
            ],
            resources: [.copy("Golden")]
        ),
        // Loopback sockets, waiting with a deadline and metrics parsing, for both test targets.
        .target(name: "SSOWatchTestSupport", path: "Tests/TestSupport"),
        // One glibc call the Glibc module hides (it needs _GNU_SOURCE), for the tests' process launcher.
        .target(name: "CSpawn", path: "Tests/CSpawn"),
        .testTarget(
            name: "DNSTests",
            dependencies: ["SSOWatchDNS", "SSOWatchModel", "SSOWatchSimulator"],
            // The nsd zone and scripts the captured packets came from; the tests use only the pasted hex.
            exclude: ["Captures"]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "SSOWatchModel", "SSOWatchConfig", "SSOWatchHTTP", "SSOWatchCloudflare", "SSOWatchState",
                "SSOWatchNotify", "SSOWatchDNS", "SSOWatchDaemon", "SSOWatchSimulator", "SSOWatchTestSupport",
                "CSpawn",
                // The HTTPS server of the `ca_file` tests.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            // Malformed configuration files and test certificates, read by path (#filePath), not bundled.
            exclude: ["Corpus", "TLSFixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
