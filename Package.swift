// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Recolha",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "recolha", targets: ["recolha"]),
        .executable(name: "recolha-bench", targets: ["recolha-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Pure rules: no I/O, nothing of ours imported.
        .target(name: "Sync"),
        .target(name: "Forms"),
        // The local store: the only module (with the bench) that touches GRDB.
        .target(
            name: "Store",
            dependencies: ["Sync", "Forms", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .executableTarget(
            name: "recolha",
            dependencies: [
                "Store", "Forms", "Sync",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "recolha-bench",
            dependencies: [
                "Store", "Forms", "Sync",
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        .target(name: "RecolhaTesting", dependencies: ["Store", "Forms", "Sync"]),
        .testTarget(name: "SyncTests", dependencies: ["Sync", "RecolhaTesting"]),
        .testTarget(name: "FormsTests", dependencies: ["Forms", "RecolhaTesting"]),
        .testTarget(
            name: "StoreTests",
            dependencies: ["Store", "RecolhaTesting", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["RecolhaTesting", "Store", .product(name: "GRDB", package: "GRDB.swift")]
        ),
    ]
)
