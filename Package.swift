// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Recolha",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "recolha", targets: ["recolha"]),
        .executable(name: "recolha-server", targets: ["recolha-server"]),
        .executable(name: "recolha-bench", targets: ["recolha-bench"]),
        .executable(name: "recolha-load", targets: ["recolha-load"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(path: "Vendor/MultipartKit"), // 4.7.1 + a bounds check, see Vendor/MultipartKit/VENDORED.md
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(path: "Vendor/ZIPFoundation"), // 0.9.20 + two loop fixes, see Vendor/ZIPFoundation/VENDORED.md
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // Pure rules: no I/O, nothing of ours imported.
        // Every sentence said to a person, in English and Portuguese.
        .target(name: "Words"),
        .target(name: "Sync", dependencies: ["Words", .product(name: "Crypto", package: "swift-crypto"),
                                            .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .target(name: "Forms", dependencies: ["Words"]),
        // Binding a row's values straight to SQLite in the per-version write loops.
        .target(name: "SQLiteBinding", dependencies: [.product(name: "GRDB", package: "GRDB.swift"),
                                                      .product(name: "GRDBSQLite", package: "GRDB.swift")]),
        // The local store: the only module (with the bench) that touches GRDB.
        .target(
            name: "Store",
            dependencies: ["Sync", "Forms", "Words", "SQLiteBinding", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "Crypto", package: "swift-crypto")],
            // Kill points for crash tests (FaultPoint) exist only in debug builds.
            swiftSettings: [.define("RECOLHA_FAULTS", .when(configuration: .debug))]
        ),
        // C libraries: libcurl only for SyncClient, zlib for gzip bodies both ways.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CGzip", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "Gzip", dependencies: ["CGzip"]),
        // libxml2's pull reader for workbook parts and XML choice files.
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        // Reading .xlsx XLSForm workbooks into the Forms model.
        // Workbooks (zip + XML) and the CSV files published with a form.
        .target(name: "XLSForm", dependencies: ["Forms", "CLibXML2", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                                                .product(name: "CSV", package: "CSV.swift"),
                                                .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "SyncClient", dependencies: ["Sync", "Store", "Forms", "CCurl", "Gzip", "Words"]),
        .target(
            name: "SyncServer",
            dependencies: [
                "Sync", "Forms", "Gzip", "Words", "SQLiteBinding",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            // Fault points for the cut-point tests exist only in debug builds:
            // a release (shipped) server has none.
            swiftSettings: [.define("RECOLHA_FAULTS", .when(configuration: .debug))]
        ),
        // The supervisors' web pages: server-rendered, no JavaScript.
        .target(
            name: "Console",
            dependencies: [
                "SyncServer", "Forms", "Sync", "XLSForm",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "MultipartKit", package: "MultipartKit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "recolha-server",
            dependencies: [
                "SyncServer", "Console", "Forms", "Sync", "XLSForm",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The supervisor's hub: bundles exchanged over the local network.
        .target(
            name: "Hub",
            dependencies: [
                "Store", "Sync", "SyncClient", "Forms",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "recolha",
            dependencies: [
                "Store", "Forms", "Sync", "SyncClient", "XLSForm", "Gzip", "Hub", "Words",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "recolha-bench",
            dependencies: [
                "Store", "Forms", "Sync", "SyncClient", "Gzip",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // A load tool built from plain threads: Swift 5 mode keeps it short.
        .executableTarget(
            name: "recolha-load", dependencies: ["Store", "Forms", "Sync", "SyncClient", "Gzip"],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .target(name: "RecolhaTesting", dependencies: ["Store", "Forms", "Sync"]),
        .testTarget(
            name: "SyncClientTests",
            dependencies: ["SyncClient", "RecolhaTesting", "Gzip", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // The server's tests speak HTTP through the real client transport (libcurl).
        .testTarget(name: "SyncServerTests", dependencies: ["SyncServer", "SyncClient", "RecolhaTesting"]),
        .testTarget(name: "SyncTests", dependencies: ["Sync", "RecolhaTesting"]),
        // The console's routes in process (HummingbirdTesting), against a real SQLite store.
        .testTarget(
            name: "ConsoleTests",
            dependencies: ["Console", "SyncServer", "Sync", "Forms", "RecolhaTesting",
                           .product(name: "HummingbirdTesting", package: "hummingbird")]
        ),
        // 100,000 generated and mutated inputs through each parser of outside bytes.
        .testTarget(name: "FuzzTests", dependencies: ["Forms", "Sync", "Gzip", "XLSForm", "SyncServer", "RecolhaTesting"]),
        .testTarget(name: "FormsTests", dependencies: ["Forms", "RecolhaTesting"]),
        .testTarget(name: "WordsTests", dependencies: ["Words"]),
        .testTarget(name: "XLSFormTests", dependencies: ["XLSForm", "Forms", "RecolhaTesting"]),
        .testTarget(
            name: "StoreTests",
            dependencies: ["Store", "SQLiteBinding", "RecolhaTesting", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["RecolhaTesting", "Store", "Sync", "Gzip", .product(name: "GRDB", package: "GRDB.swift")]
        ),
    ]
)
