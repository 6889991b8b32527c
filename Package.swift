// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "NetSweep",
    products: [
        .executable(name: "runner", targets: ["runner"]),
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
        // zlib (Debian: zlib1g-dev): gzip for IDX files, CRC-32 for .npz archives.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // libhdf5 (Debian: libhdf5-dev), for the cat vs non-cat files: loaded with dlopen on
        // first use (CHDF5Lazy), so that its 35 dependent libraries do not slow every start.
        .target(
            name: "CHDF5Lazy",
            linkerSettings: [.linkedLibrary("dl")]
        ),
        // libhdf5 linked as usual: the tests write HDF5 files with it.
        .systemLibrary(
            name: "CHDF5",
            pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"])]
        ),
        // NetSweep's own kernels in C: small-row matrix products (the narrow layers OpenBLAS
        // handles poorly), vectorised exp and tanh. Built for AVX2 + FMA and for the baseline
        // target, chosen at run time; always optimised, also in debug builds.
        .target(
            name: "CKernels",
            cSettings: [.unsafeFlags(["-O3"])]
        ),
        // The runner's signal handlers, installed by a C constructor before main (see SignalGate).
        .target(name: "CSignalGate"),
        // Numerics and networks: no file I/O, no YAML; Dispatch only to split a product's columns.
        .target(
            name: "NeuralNet",
            dependencies: ["CBLAS", "CKernels"]
        ),
        // Generators and file loaders: no YAML.
        .target(
            name: "Datasets",
            dependencies: ["NeuralNet", "CZlib", "CHDF5Lazy"]
        ),
        // Everything between a YAML file and CSV rows: config, sweep, scheduler, reporter.
        .target(
            name: "Experiments",
            dependencies: ["NeuralNet", "Datasets", "CZlib", .product(name: "Yams", package: "Yams")]
        ),
        // The command line: arguments in, exit code out.
        .executableTarget(
            name: "runner",
            dependencies: ["Experiments", "Datasets", "NeuralNet", "CSignalGate", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // libFuzzer targets for the experiment loader and the binary loaders (`make fuzz`);
        // built normally, a replay tool for crashers and corpora.
        .executableTarget(
            name: "fuzz",
            dependencies: ["Experiments", "Datasets"]
        ),
        .testTarget(
            name: "NeuralNetTests",
            dependencies: ["NeuralNet"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "ExperimentsTests",
            dependencies: ["Experiments", "Datasets", "NeuralNet", "CZlib", "CHDF5"],
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
