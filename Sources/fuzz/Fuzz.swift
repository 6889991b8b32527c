import Datasets
import Experiments
import Foundation

/// Fuzz targets for the parsers that read untrusted input: the experiment loader and each
/// binary loader's header and body parsing.
///
/// Built with `-sanitize=fuzzer -D NETSWEEP_FUZZ` (`make fuzz`), libFuzzer's driver calls the
/// target named by `$NETSWEEP_FUZZ_TARGET`. Built normally,
/// `fuzz TARGET FILE…` replays inputs (a crasher, a corpus) through the same function.
enum FuzzTarget: String, CaseIterable {
    case experiment, idx, cifar, csv, hdf5

    /// Feeds `data` to the parser; every error is a thrown error, never a crash.
    func run(_ data: Data) {
        switch self {
        case .experiment:
            _ = try? ExperimentLoader(runCap: 1000).load(text: String(decoding: data, as: UTF8.self), file: "fuzz.yaml")
        case .idx:
            withFile(data) { path in
                _ = try? IDXLoader.read(path: path, expectedRank: 3, what: "image")
                _ = try? IDXLoader.read(path: path, expectedRank: 1, what: "label")
            }
        case .cifar:
            withFile(data) { path in _ = try? CIFARLoader.load(path: path) }
        case .csv:
            withFile(data) { path in _ = try? CSVLoader.load(path: path) }
        case .hdf5:
            withFile(data) { path in _ = try? HDF5Loader.load(path: path, xKey: "x", yKey: "y", classesKey: nil) }
        }
    }

    /// Writes `data` to a temporary file for the loaders that read paths.
    private func withFile(_ data: Data, _ body: (String) -> Void) {
        let path = NSTemporaryDirectory() + "netsweep-fuzz-\(getpid())-\(rawValue)"
        _ = FileManager.default.createFile(atPath: path, contents: data)
        body(path)
    }
}

#if NETSWEEP_FUZZ
private let target = ProcessInfo.processInfo.environment["NETSWEEP_FUZZ_TARGET"].flatMap(FuzzTarget.init) ?? .experiment

/// libFuzzer's entry for a program that has its own `main` (SwiftPM names every executable's
/// entry point, so libFuzzer's `main` cannot be used).
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// The input callback libFuzzer's own `main` looks for.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes else { return 0 }
    target.run(Data(bytes: bytes, count: count))
    return 0
}

@main
enum Fuzz {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runFuzzerDriver(&argc, &argv) { fuzzOneInput($0, $1) })
    }
}
#else
@main
enum Replay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            print("usage: fuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) FILE…")
            exit(64)
        }
        for file in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            target.run(data)
        }
        print("replayed \(arguments.count - 1) inputs through \(name): no crash")
    }
}
#endif
