// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "NetSweep",
    products: [
        .library(name: "NeuralNet", targets: ["NeuralNet"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        // The system OpenBLAS, found through pkg-config (Debian: libopenblas-dev).
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // Numerics and networks: no file I/O, no YAML, no Dispatch.
        .target(
            name: "NeuralNet",
            dependencies: ["CBLAS"]
        ),
        .testTarget(
            name: "NeuralNetTests",
            dependencies: ["NeuralNet"],
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
