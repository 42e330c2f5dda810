// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "ssowatch",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ssowatch", targets: ["ssowatch"]),
        .library(name: "SSOWatchCore", targets: ["SSOWatchCore"]),
        .library(name: "SSOWatchSimulator", targets: ["SSOWatchSimulator"]),
        .library(name: "SSOWatchDNS", targets: ["SSOWatchDNS"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        .target(
            name: "SSOWatchCore",
            dependencies: [
                "CSystemd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The DNS check's codec, client, lookup and diagnosis: a leaf that depends on no other target here.
        .target(
            name: "SSOWatchDNS",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "SSOWatchSimulator",
            dependencies: [
                "SSOWatchCore",
                "SSOWatchDNS",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "ssowatch",
            dependencies: [
                "SSOWatchCore",
                "SSOWatchSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "SSOWatchCoreTests",
            dependencies: ["SSOWatchCore", "SSOWatchSimulator"],
            resources: [.copy("Golden")]
        ),
        // One glibc call the Glibc module hides (it needs _GNU_SOURCE), for the tests' process launcher.
        .target(name: "CSpawn", path: "Tests/CSpawn"),
        .testTarget(
            name: "DNSTests",
            dependencies: ["SSOWatchDNS", "SSOWatchSimulator"],
            // The nsd zone and scripts the captured packets came from; the tests use only the pasted hex.
            exclude: ["Captures"]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["SSOWatchCore", "SSOWatchSimulator", "CSpawn"],
            // Malformed configuration files read by path (#filePath), not bundled.
            exclude: ["Corpus"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
