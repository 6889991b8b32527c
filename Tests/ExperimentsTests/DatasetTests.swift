@preconcurrency import CHDF5
import CZlib
import Foundation
import Testing
@testable import Datasets
@testable import Experiments
import NeuralNet

/// The shared datasets folder beside the checkout, when present.
let sharedDatasets: URL? = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()   // Tests/ExperimentsTests
        .deletingLastPathComponent().deletingLastPathComponent()            // the checkout
        .deletingLastPathComponent().appendingPathComponent("shared/datasets")
    return FileManager.default.fileExists(atPath: url.path) ? url : nil
}()

struct NumpyDatasets: Decodable {
    struct Entry: Decodable {
        let rows: Int
        let columns: Int
        let row_major: [Double]
        let labels: [Int32]
    }
    let planar_seed1: Entry
    let planar_seed3_n100: Entry
    let moons: Entry
    let circles: Entry
    let spirals: Entry
    let random: Entry
    struct Samples: Decodable {
        let rows: Int
        let columns: Int
        let seed: UInt32
        /// [row, column, value]
        let samples: [[Double]]
        let row_sums: [Double]
    }
    let synthetic: Samples

    static func load() throws -> NumpyDatasets {
        try JSONDecoder().decode(NumpyDatasets.self, from: Data(contentsOf: fixtures.appendingPathComponent("numpy_datasets.json")))
    }
}

@Suite("Generators match NumPy bit for bit")
struct GeneratorTests {
    static func expectIdentical(_ dataset: Dataset, _ entry: NumpyDatasets.Entry) {
        #expect(dataset.featureCount == entry.rows && dataset.exampleCount == entry.columns)
        #expect(dataset.features.rowMajorValues == entry.row_major)
        #expect(dataset.labels == entry.labels)
    }

    @Test("planar flower, seeds 1 and 3")
    func planar() throws {
        let reference = try NumpyDatasets.load()
        Self.expectIdentical(try Generator.planar(count: 400, seed: 1).make(), reference.planar_seed1)
        Self.expectIdentical(try Generator.planar(count: 100, seed: 3).make(), reference.planar_seed3_n100)
    }

    @Test("planar flower equals datasets/planar_flower_400.csv", .enabled(if: sharedDatasets != nil))
    func planarMatchesSharedCSV() throws {
        let shared = try #require(sharedDatasets)
        let fromFile = try CSVLoader.load(path: shared.appendingPathComponent("planar_flower_400.csv").path)
        let generated = try Generator.planar(count: 400, seed: 1).make()
        #expect(fromFile.features == generated.features)
        #expect(fromFile.labels == generated.labels)
    }

    @Test("moons, circles, spirals and the random toy")
    func otherRecipes() throws {
        let reference = try NumpyDatasets.load()
        Self.expectIdentical(try Generator.moons(count: 51, noise: 0.1, seed: 4).make(), reference.moons)
        Self.expectIdentical(try Generator.circles(count: 40, noise: 0.05, factor: 0.5, seed: 2).make(), reference.circles)
        Self.expectIdentical(try Generator.spirals(count: 31, arms: 3, noise: 0.2, seed: 5).make(), reference.spirals)
        Self.expectIdentical(try Generator.random(features: 3, count: 5, classes: 2, labels: [1, 0, 1, 1, 0], seed: 1).make(),
                             reference.random)
    }

    @Test("xor, blobs and synthetic are deterministic and labelled as documented")
    func deterministic() throws {
        let xor = try Generator.xor(count: 200, noise: 0, seed: 1).make()
        #expect(try Generator.xor(count: 200, noise: 0, seed: 1).make().features == xor.features)
        for j in 0..<xor.exampleCount {
            let isOpposite = (xor.features[0, j] > 0) != (xor.features[1, j] > 0)
            #expect((xor.labels[j] == 1) == isOpposite)
        }
        let blobs = try Generator.blobs(count: 10, classes: 3, features: 4, noise: 1, seed: 2).make()
        #expect(blobs.labels == [0, 0, 0, 0, 1, 1, 1, 2, 2, 2])
        #expect(blobs.featureCount == 4)
        let synthetic = try Generator.synthetic(features: 5, count: 100, classes: 10, seed: 0).make()
        #expect(synthetic.features.storage.allSatisfy { $0 >= 0 && $0 < 1 })
        #expect(Set(synthetic.labels).count > 5)
    }

    @Test("bad generator options are refused")
    func badOptions() {
        #expect(throws: DatasetError.badOption(name: "n", expected: "an even integer ≥ 2", found: "5")) {
            try Generator.planar(count: 5, seed: 1).make()
        }
        #expect(throws: DatasetError.badOption(name: "noise", expected: "a finite number ≥ 0", found: "-1.0")) {
            try Generator.moons(count: 10, noise: -1, seed: 1).make()
        }
    }
}

/// Small files of every format, written by the tests.
enum FixtureFiles {
    static func idx(_ url: URL, magic: [UInt8], dims: [Int], values: [UInt8], gzip: Bool) throws {
        var bytes = magic
        for dim in dims { bytes += [UInt8(dim >> 24 & 0xff), UInt8(dim >> 16 & 0xff), UInt8(dim >> 8 & 0xff), UInt8(dim & 0xff)] }
        bytes += values
        if gzip {
            let file = try #require(gzopen(url.path, "wb"))
            _ = bytes.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
            gzclose(file)
        } else {
            try Data(bytes).write(to: url)
        }
    }

    /// A cat-style HDF5 file: x uint8 (m, 2, 2, 3), y int64 (m,), list_classes |S7.
    static func hdf5(_ url: URL, images: [UInt8], count: Int, labels: [Int64], classes: [String]?, xKey: String = "train_set_x",
                     signedImages: Bool = false) throws {
        let file = H5Fcreate(url.path, 2 /* H5F_ACC_TRUNC */, 0, 0)
        #expect(file >= 0)
        defer { H5Fclose(file) }
        func write(_ name: String, dims: [hsize_t], fileType: hid_t, memoryType: hid_t, bytes: UnsafeRawPointer) {
            let space = H5Screate_simple(Int32(dims.count), dims, nil)
            let dataset = H5Dcreate2(file, name, fileType, space, 0, 0, 0)
            H5Dwrite(dataset, memoryType, 0, 0, 0, bytes)
            H5Dclose(dataset)
            H5Sclose(space)
        }
        images.withUnsafeBytes {
            write(xKey, dims: [hsize_t(count), 2, 2, 3], fileType: signedImages ? H5T_STD_I8LE_g : H5T_STD_U8LE_g,
                  memoryType: signedImages ? H5T_NATIVE_INT8_g : H5T_NATIVE_UINT8_g, bytes: $0.baseAddress!)
        }
        labels.withUnsafeBytes {
            write("train_set_y", dims: [hsize_t(labels.count)], fileType: H5T_STD_I64LE_g, memoryType: H5T_NATIVE_INT64_g, bytes: $0.baseAddress!)
        }
        if let classes {
            let type = H5Tcopy(H5T_C_S1_g)
            H5Tset_size(type, 7)
            let bytes = classes.flatMap { Array($0.utf8.prefix(7)) + Array(repeating: 0, count: 7 - min(7, $0.utf8.count)) }
            bytes.withUnsafeBytes { write("list_classes", dims: [hsize_t(classes.count)], fileType: type, memoryType: type, bytes: $0.baseAddress!) }
            H5Tclose(type)
        }
    }
}

@Suite("Loaders: good and corrupt files")
struct LoaderTests {
    @Test("IDX, gzipped and plain")
    func idx() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let images = directory.appendingPathComponent("images-idx3-ubyte.gz")
        let labels = directory.appendingPathComponent("labels-idx1-ubyte")
        // Two 2×3 images: pixels 0…5 and 10…15.
        try FixtureFiles.idx(images, magic: [0, 0, 8, 3], dims: [2, 2, 3], values: [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15], gzip: true)
        try FixtureFiles.idx(labels, magic: [0, 0, 8, 1], dims: [2], values: [7, 2], gzip: false)
        let dataset = try IDXLoader.load(images: images.path, labels: labels.path)
        #expect(dataset.featureCount == 6 && dataset.exampleCount == 2)
        #expect(dataset.features.storage == [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15])
        #expect(dataset.labels == [7, 2])
        #expect(dataset.classNames.count == 8)
    }

    @Test("IDX: wrong magic, truncated data, mismatched counts")
    func idxCorrupt() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let labels = directory.appendingPathComponent("labels")
        try FixtureFiles.idx(labels, magic: [0, 0, 8, 1], dims: [3], values: [1, 2, 3], gzip: true)
        let wrongMagic = directory.appendingPathComponent("wrong")
        try FixtureFiles.idx(wrongMagic, magic: [1, 2, 8, 3], dims: [1, 1, 1], values: [0], gzip: false)
        #expect(throws: DatasetError.corrupt(file: wrongMagic.path, problem: "wrong IDX magic number 0x01020803; expected 0x00000803 (images)")) {
            try IDXLoader.load(images: wrongMagic.path, labels: labels.path)
        }
        let truncated = directory.appendingPathComponent("truncated.gz")
        try FixtureFiles.idx(truncated, magic: [0, 0, 8, 3], dims: [3, 2, 2], values: [1, 2, 3], gzip: true)
        #expect(throws: DatasetError.corrupt(file: truncated.path,
                                             problem: "truncated: expected 12 values (dimensions [3, 2, 2]), file ended after 3 bytes")) {
            try IDXLoader.load(images: truncated.path, labels: labels.path)
        }
        let images = directory.appendingPathComponent("images")
        try FixtureFiles.idx(images, magic: [0, 0, 8, 3], dims: [2, 1, 1], values: [1, 2], gzip: false)
        #expect(throws: DatasetError.corrupt(file: labels.path, problem: "has 3 labels but '\(images.path)' has 2 images")) {
            try IDXLoader.load(images: images.path, labels: labels.path)
        }
    }

    @Test("CIFAR-10 binary: channel planes become height × width × channel")
    func cifar() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var record = [UInt8](repeating: 0, count: 3073)
        record[0] = 3
        record[1] = 200          // red of pixel 0
        record[1 + 1024] = 100   // green of pixel 0
        record[1 + 2048 + 1] = 50 // blue of pixel 1
        let good = directory.appendingPathComponent("good.bin")
        try Data(record + record).write(to: good)
        let dataset = try CIFARLoader.load(path: good.path)
        #expect(dataset.exampleCount == 2 && dataset.featureCount == 3072)
        #expect(dataset.features[0, 0] == 200 && dataset.features[1, 0] == 100 && dataset.features[5, 1] == 50)
        #expect(dataset.labels == [3, 3])
        #expect(dataset.classNames[3] == "cat")

        let badSize = directory.appendingPathComponent("bad.bin")
        try Data(record + [1, 2]).write(to: badSize)
        #expect(throws: DatasetError.corrupt(file: badSize.path, problem:
            "size 3075 bytes is not a positive multiple of 3073 (1 label byte + 3072 pixels per image)")) {
            try CIFARLoader.load(path: badSize.path)
        }
        record[0] = 12
        let badLabel = directory.appendingPathComponent("label.bin")
        try Data(record).write(to: badLabel)
        #expect(throws: DatasetError.corrupt(file: badLabel.path, problem: "image 0 has label 12; expected 0..<10")) {
            try CIFARLoader.load(path: badLabel.path)
        }
    }

    @Test("CSV: quoting, label column, text labels")
    func csv() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("table.csv")
        try "\"species, common\",x1,x2\r\ncat,1.5,2\r\ndog,-3,4e-1\r\n\"cat\",0,0\r\n".write(to: file, atomically: true, encoding: .utf8)
        let dataset = try CSVLoader.load(path: file.path, labelColumn: "species, common")
        #expect(dataset.features.storage == [1.5, 2, -3, 0.4, 0, 0])
        #expect(dataset.labels == [0, 1, 0])
        #expect(dataset.classNames == ["cat", "dog"])
    }

    @Test("CSV: CRLF, LF and lone-CR line endings read the same rows; a CR inside a row ends it, never vanishes from a cell")
    func csvLineEndings() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var datasets: [Dataset] = []
        for (name, end) in [("crlf", "\r\n"), ("lf", "\n"), ("cr", "\r")] {
            let file = directory.appendingPathComponent("\(name).csv")
            let text = ["x1,x2,label", "1.5,2,cat", "-3,4e-1,dog", "\"0\",7,cat"].joined(separator: end) + end
            try text.write(to: file, atomically: true, encoding: .utf8)
            datasets.append(try CSVLoader.load(path: file.path))
        }
        #expect(datasets[0].features.storage == [1.5, 2, -3, 0.4, 0, 7])
        for dataset in datasets.dropFirst() {
            #expect(dataset.features.storage == datasets[0].features.storage)
            #expect(dataset.labels == datasets[0].labels)
            #expect(dataset.classNames == datasets[0].classNames)
        }
        // "1\r2" was read as the number 12 when a CR was dropped wherever it stood.
        let split = directory.appendingPathComponent("split.csv")
        try "x1,x2,label\n1\r2,3,cat\n".write(to: split, atomically: true, encoding: .utf8)
        #expect(throws: DatasetError.self) { try CSVLoader.load(path: split.path) }
        // A line break quoted inside a label is a damaged cell, not a class of its own; messages
        // show control characters escaped (a raw CR would send the terminal back over the path).
        let label = directory.appendingPathComponent("label.csv")
        try "x1,x2,label\n1,2,0\n3,4,\"1\r0\"\n5,6,1\n".write(to: label, atomically: true, encoding: .utf8)
        #expect { try CSVLoader.load(path: label.path) } throws: { error in
            "\(error)".contains("line 3, column 3 ('label'): label '1\\r0' contains a control character") && !"\(error)".contains("\r")
        }
        let quoted = directory.appendingPathComponent("quoted.csv")
        try "x1,x2,label\n\"0.48\r4327\",2,0\n".write(to: quoted, atomically: true, encoding: .utf8)
        #expect { try CSVLoader.load(path: quoted.path) } throws: { error in
            "\(error)".contains("found '0.48\\r4327'") && !"\(error)".contains("\r")
        }
        // Line numbers count a lone CR as a line: the bad cell is on line 3.
        let bad = directory.appendingPathComponent("bad.csv")
        try "x1,x2,label\r1,2,cat\r1,oops,dog\r".write(to: bad, atomically: true, encoding: .utf8)
        #expect { try CSVLoader.load(path: bad.path) } throws: { "\($0)".contains("line 3") }
    }

    @Test("CSV: a ragged row, a bad cell and a NaN give the line and column")
    func csvCorrupt() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let ragged = directory.appendingPathComponent("ragged.csv")
        try "a,b,y\n1,2,0\n3,1\n".write(to: ragged, atomically: true, encoding: .utf8)
        #expect(throws: DatasetError.corrupt(file: ragged.path, problem: "line 3 has 2 fields; expected 3 as in the header")) {
            try CSVLoader.load(path: ragged.path)
        }
        let text = directory.appendingPathComponent("text.csv")
        try "a,b,y\n1,2,0\n3,abc,1\n".write(to: text, atomically: true, encoding: .utf8)
        #expect(throws: DatasetError.corrupt(file: text.path, problem: "line 3, column 2 ('b'): expected a finite number; found 'abc'")) {
            try CSVLoader.load(path: text.path)
        }
        let nan = directory.appendingPathComponent("nan.csv")
        try "a,b,y\nNaN,2,0\n".write(to: nan, atomically: true, encoding: .utf8)
        #expect(throws: DatasetError.corrupt(file: nan.path, problem: "line 2, column 1 ('a'): expected a finite number; found 'NaN'")) {
            try CSVLoader.load(path: nan.path)
        }
        #expect(throws: DatasetError.self) { try CSVLoader.load(path: text.path, labelColumn: "label") }
        // Swift reads "0x1p3" as 8; NumPy's float() and a spreadsheet do not: it is no number.
        let hex = directory.appendingPathComponent("hex.csv")
        try "a,b,y\n1,0x1p3,0\n".write(to: hex, atomically: true, encoding: .utf8)
        #expect(throws: DatasetError.corrupt(file: hex.path, problem: "line 2, column 2 ('b'): expected a finite number; found '0x1p3'")) {
            try CSVLoader.load(path: hex.path)
        }
        #expect(CSVLoader.classNumber("0x10") == nil && CSVLoader.classNumber("16") == 16)
    }

    @Test("HDF5: images flattened as reshape(m, -1).T, labels, class names")
    func hdf5() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("cats.h5")
        let images = (0..<24).map { UInt8($0) }   // two 2×2×3 images
        try FixtureFiles.hdf5(file, images: images, count: 2, labels: [1, 0], classes: ["non-cat", "cat"])
        let dataset = try HDF5Loader.load(path: file.path, xKey: "train_set_x", yKey: "train_set_y", classesKey: "list_classes")
        #expect(dataset.featureCount == 12 && dataset.exampleCount == 2)
        #expect(dataset.features.storage == images.map(Double.init))
        #expect(dataset.labels == [1, 0])
        #expect(dataset.classNames == ["non-cat", "cat"])
        guard case .deferred = dataset.values else { Issue.record("unsigned bytes were read as float64"); return }
        // Other integer types are read as numbers: the same values.
        try FixtureFiles.hdf5(file, images: images, count: 2, labels: [1, 0], classes: ["non-cat", "cat"], signedImages: true)
        let signed = try HDF5Loader.load(path: file.path, xKey: "train_set_x", yKey: "train_set_y", classesKey: "list_classes")
        guard case .numbers = signed.values else { Issue.record("signed bytes were kept as unsigned ones"); return }
        #expect(signed.features == dataset.features && signed.fingerprint == dataset.fingerprint)
    }

    @Test("HDF5: a missing dataset names what the file has; a non-HDF5 file is refused")
    func hdf5Corrupt() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("other.h5")
        try FixtureFiles.hdf5(file, images: Array(repeating: 0, count: 12), count: 1, labels: [0], classes: nil, xKey: "pixels")
        #expect(throws: DatasetError.corrupt(file: file.path, problem: "no dataset named 'train_set_x'; the file has 'pixels', 'train_set_y'")) {
            try HDF5Loader.load(path: file.path, xKey: "train_set_x", yKey: "train_set_y", classesKey: nil)
        }
        let text = directory.appendingPathComponent("text.h5")
        try "not hdf5".write(to: text, atomically: true, encoding: .utf8)
        #expect(throws: DatasetError.corrupt(file: text.path, problem: "not an HDF5 file")) {
            try HDF5Loader.load(path: text.path, xKey: "x", yKey: "y", classesKey: nil)
        }
    }

    @Test("a missing file names every place looked in")
    func missingFile() {
        let locator = DataLocator(directories: ["/a", "/b"])
        #expect(throws: DatasetError.missing(file: "x.h5", what: "the train set (HDF5)", searched: ["/a", "/b"])) {
            try locator.locate("x.h5", what: "the train set (HDF5)")
        }
        #expect(DatasetError.missing(file: "x.h5", what: "the train set (HDF5)", searched: ["/a", "/b"]).description
                == "cannot find the train set (HDF5) 'x.h5'; looked in: /a, /b")
    }
}

@Suite("Preprocessing")
struct PreprocessingTests {
    static let data = try! Dataset(
        features: Matrix(rows: 2, columns: 6, columnMajor: [0, 10, 1, 20, 2, 30, 3, 40, 4, 50, 5, 60]),
        labels: [0, 1, 2, 0, 1, 2], classNames: ["a", "b", "c"])

    @Test("keep classes relabels in the given order")
    func keepClasses() throws {
        let (train, _) = try Preprocessing(keepClasses: ["c", "0"]).apply(train: Self.data, test: nil)
        #expect(train.labels == [1, 0, 1, 0])
        #expect(train.classNames == ["c", "a"])
        #expect(train.features.storage == [0, 10, 2, 30, 3, 40, 5, 60])
        #expect(throws: DatasetError.self) { try Preprocessing(keepClasses: ["z"]).apply(train: Self.data, test: nil) }
    }

    @Test("take, split, scale")
    func takeSplitScale() throws {
        let (taken, _) = try Preprocessing(takeTrain: 4, scale: 10).apply(train: Self.data, test: nil)
        #expect(taken.features.storage == [0, 1, 0.1, 2, 0.2, 3, 0.3, 4])
        let (train, test) = try Preprocessing(testFraction: 0.34, splitSeed: 3).apply(train: Self.data, test: nil)
        #expect(train.exampleCount == 3 && test?.exampleCount == 3)
        var random = NumpyRandom(seed: 3)
        let order = random.permutation(6)
        #expect(test?.labels == order[3...].map { Self.data.labels[$0] })
    }

    @Test("standardise with the training split's statistics only")
    func standardise() throws {
        let test = try Dataset(features: Matrix(rows: 2, columns: 1, columnMajor: [2.5, 35]), labels: [0], classNames: ["a", "b", "c"])
        let (train, standardTest) = try Preprocessing(standardize: true).apply(train: Self.data, test: test)
        let (mean, deviation) = Preprocessing.statistics(of: train)
        #expect(mean.allSatisfy { abs($0) < 1e-12 })
        #expect(deviation.allSatisfy { abs($0 - 1) < 1e-12 })
        #expect(standardTest?.features.storage == [0, 0])   // 2.5 and 35 are the training means
    }

    @Test("fingerprints change with the content")
    func fingerprints() throws {
        var other = Self.data
        other.labels[0] = 1
        #expect(other.fingerprint != Self.data.fingerprint)
        #expect(Self.data.fingerprint == Self.data.selecting(Array(0..<6)).fingerprint)
    }
}

@Suite("Features held compactly: image bytes, uniform draws")
struct DeferredFeatureTests {
    /// 7 features × 40 examples of pseudo-random bytes; feature 3 is constant (deviation 0).
    static func pair() throws -> (pixels: Dataset, numbers: Dataset) {
        var random = NumpyRandom(seed: 11)
        let labels = (0..<40).map { _ in Int32(random.randint(0, 3)) }
        var bytes = (0..<(7 * 40)).map { _ in UInt8(random.randint(0, 256)) }
        for j in 0..<40 { bytes[j * 7 + 3] = 17 }
        let names = ["a", "b", "c"]
        return (try Dataset(pixels: bytes, rows: 7, labels: labels, classNames: names),
                try Dataset(features: Matrix(rows: 7, columns: 40, columnMajor: bytes.map(Double.init)), labels: labels, classNames: names))
    }

    static let recipes: [Preprocessing] = {
        var recipes: [Preprocessing] = [
            Preprocessing(),
            Preprocessing(scale: 255),
            Preprocessing(standardize: true),
            Preprocessing(scale: 255, standardize: true),
            Preprocessing(keepClasses: ["c", "a"], testFraction: 0.25, validationFraction: 0.2, splitSeed: 5, scale: 7, standardize: true),
            Preprocessing(takeTrain: 30, takeTest: 9, validationFraction: 0.1, scale: 3),
        ]
        var centred = Preprocessing(scale: 255)
        centred.center = true
        recipes.append(centred)
        var centredOnly = Preprocessing(testFraction: 0.3)
        centredOnly.center = true
        recipes.append(centredOnly)
        return recipes
    }()

    @Test("every preprocessing recipe gives the float64 path's features, statistics and fingerprints, bit for bit",
          arguments: recipes.indices)
    func sameAsNumbers(recipe: Int) throws {
        let (pixels, numbers) = try Self.pair()
        let test = try Self.pair()
        let preprocessing = Self.recipes[recipe]
        let fromPixels = try preprocessing.apply(Preprocessing.Prepared(train: pixels, test: preprocessing.testFraction == nil ? test.pixels.selecting(Array(0..<12)) : nil))
        let fromNumbers = try preprocessing.apply(Preprocessing.Prepared(train: numbers, test: preprocessing.testFraction == nil ? test.numbers.selecting(Array(0..<12)) : nil))
        if case .deferred = fromPixels.train.values {} else { Issue.record("the training split was made float64 during preprocessing") }
        let pairs = [(fromPixels.train, fromNumbers.train)] + [fromPixels.test, fromPixels.validation].indices.compactMap { index -> (Dataset, Dataset)? in
            let bytes = [fromPixels.test, fromPixels.validation][index], doubles = [fromNumbers.test, fromNumbers.validation][index]
            #expect((bytes == nil) == (doubles == nil))
            guard let bytes, let doubles else { return nil }
            return (bytes, doubles)
        }
        for (bytes, doubles) in pairs {
            #expect(bytes.labels == doubles.labels && bytes.classNames == doubles.classNames)
            #expect(bytes.features.storage.map(\.bitPattern) == doubles.features.storage.map(\.bitPattern))
            #expect(bytes.features(as: Float.self).storage.map(\.bitPattern)
                    == doubles.features.converted(to: Float.self).storage.map(\.bitPattern))
            #expect(bytes.fingerprint == doubles.fingerprint)
            let (byteMean, byteDeviation) = Preprocessing.statistics(of: bytes)
            let (mean, deviation) = Preprocessing.statistics(of: doubles)
            #expect(byteMean.map(\.bitPattern) == mean.map(\.bitPattern) && byteDeviation.map(\.bitPattern) == deviation.map(\.bitPattern))
        }
    }

    @Test("the benchmark's uniform data, drawn in blocks from each row's generator, are NumPy's rand(features, m)")
    func deferredUniform() throws {
        let reference = try NumpyDatasets.load().synthetic
        let data = try Generator.synthetic(features: reference.rows, count: reference.columns, classes: 10, seed: reference.seed).make()
        guard case .deferred = data.values else { Issue.record("a 2 600-example synthetic dataset was drawn whole"); return }
        let features = data.features
        for sample in reference.samples {
            #expect(features[Int(sample[0]), Int(sample[1])].bitPattern == sample[2].bitPattern, "X[\(sample[0]), \(sample[1])]")
        }
        for i in 0..<reference.rows {
            let sum = (0..<reference.columns).reduce(0.0) { $0 + features[i, $1] }
            #expect(abs(sum - reference.row_sums[i]) <= 1e-9 * reference.row_sums[i])
        }
        // The same values, labels and fingerprint as drawing the whole X row by row.
        var random = NumpyRandom(seed: reference.seed)
        var eager = Matrix<Double>(rows: reference.rows, columns: reference.columns)
        for i in 0..<reference.rows {
            for j in 0..<reference.columns { eager[i, j] = random.uniform() }
        }
        let labels = (0..<reference.columns).map { _ in Int32(random.interval(9)) }
        let numbers = try Dataset(features: eager, labels: labels, classNames: data.classNames)
        #expect(data.labels == labels && data.fingerprint == numbers.fingerprint)
        #expect(data.features(as: Float.self) == eager.converted(to: Float.self))
        for var preprocessing in Self.recipes {
            preprocessing.keepClasses = preprocessing.keepClasses.map { _ in ["class 2", "class 0"] }
            let deferred = try preprocessing.apply(Preprocessing.Prepared(train: data, test: nil))
            let drawn = try preprocessing.apply(Preprocessing.Prepared(train: numbers, test: nil))
            #expect(deferred.train.features == drawn.train.features && deferred.train.fingerprint == drawn.train.fingerprint)
            #expect(deferred.test?.features == drawn.test?.features && deferred.validation?.features == drawn.validation?.features)
        }
    }

    @Test("skipping words leaves the generator where drawing them would")
    func skip() {
        for count in [0, 1, 623, 624, 625, 1_247, 5_000] {
            var skipped = NumpyRandom(seed: 3), drawn = NumpyRandom(seed: 3)
            skipped.skip(count)
            for _ in 0..<count { _ = drawn.nextUInt32() }
            #expect((0..<700).map { _ in skipped.nextUInt32() } == (0..<700).map { _ in drawn.nextUInt32() }, "after \(count) words")
        }
    }

    @Test("selections keep the shapes: none, some, repeated")
    func selections() throws {
        let (pixels, numbers) = try Self.pair()
        for indices in [[], [3], [39, 0, 0, 7]] {
            let bytes = pixels.selecting(indices), doubles = numbers.selecting(indices)
            #expect(bytes.exampleCount == indices.count && bytes.featureCount == 7)
            #expect(bytes.features == doubles.features && bytes.fingerprint == doubles.fingerprint)
        }
    }

    @Test("a float32-only sweep holds no float64 copy; a float64 one holds it made once")
    func preparedPrecisions() throws {
        let (pixels, numbers) = try Self.pair()
        let splits = DataSplits(train: pixels, test: pixels.selecting([1, 2, 3]), validation: pixels.selecting([4, 5]), source: "bytes")
        let single = PreparedData(splits: splits, keepDouble: false, makeSingle: true)
        #expect(!single.hasDoubleFeatures)
        #expect(single.splits.train.features.storage.isEmpty && single.splits.test?.features.storage.isEmpty == true)
        #expect(single.singlePrecision?.train == numbers.features.converted(to: Float.self))
        #expect(single.singlePrecision?.test == numbers.selecting([1, 2, 3]).features.converted(to: Float.self))
        #expect(single.fingerprint == DataSplits(train: numbers, test: numbers.selecting([1, 2, 3]),
                                                 validation: numbers.selecting([4, 5]), source: "numbers").fingerprint)
        let double = PreparedData(splits: splits, keepDouble: true, makeSingle: false)
        for dataset in [double.splits.train, double.splits.test, double.splits.validation, single.splits.validation] {
            guard case .numbers? = dataset?.values else { Issue.record("a split kept as bytes after preparing"); continue }
        }
        #expect(double.splits.train.features == numbers.features)
        #expect(single.trainExamples == 40 && single.featureCount == 7)
    }
}

@Suite("The real datasets", .enabled(if: sharedDatasets != nil))
struct RealDatasetTests {
    static var locator: DataLocator { DataLocator(directories: [sharedDatasets?.path ?? "/nonexistent"]) }

    @Test("cat vs non-cat: 209 × 12288 with 72 cats; 50 test images with 33 cats; pixels as reshape(m, -1).T")
    func cats() throws {
        let config = try YAMLDatasetConfig.decode("{train: train_catvnoncat.h5, test: test_catvnoncat.h5}")
        let data = try DataSource(locator: Self.locator).load(config)
        let train = data.splits.train
        #expect(train.featureCount == 12288 && train.exampleCount == 209)
        #expect(train.labels.filter { $0 == 1 }.count == 72)
        #expect(train.classNames == ["non-cat", "cat"])
        #expect(data.splits.test?.exampleCount == 50)
        #expect(data.splits.test?.labels.filter { $0 == 1 }.count == 33)
        // Raw pixels read independently: X[(h·64 + w)·3 + c, j] == train_set_x[j, h, w, c].
        let path = try Self.locator.locate("train_catvnoncat.h5", what: "cats")
        let file = H5Fopen(path, 0, 0)
        defer { H5Fclose(file) }
        let dataset = H5Dopen2(file, "train_set_x", 0)
        defer { H5Dclose(dataset) }
        var raw = [UInt8](repeating: 0, count: 209 * 12288)
        _ = raw.withUnsafeMutableBytes { H5Dread(dataset, H5T_NATIVE_UINT8_g, 0, 0, 0, $0.baseAddress) }
        for (j, h, w, c) in [(0, 0, 0, 0), (5, 10, 20, 2), (208, 63, 63, 1)] {
            #expect(train.features[(h * 64 + w) * 3 + c, j] == Double(raw[((j * 64 + h) * 64 + w) * 3 + c]))
        }
    }

    @Test("MNIST train: 60 000 × 784 with the published label counts")
    func mnist() throws {
        let config = try YAMLDatasetConfig.decode(
            "{train: mnist/train-images-idx3-ubyte.gz, train_labels: mnist/train-labels-idx1-ubyte.gz}")
        let train = try DataSource(locator: Self.locator).load(config).splits.train
        #expect(train.featureCount == 784 && train.exampleCount == 60_000)
        let counts = (0..<10).map { digit in train.labels.filter { $0 == digit }.count }
        #expect(counts == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
    }

    @Test("CIFAR-10 subset: 4000 and 500 images, first labels, first red pixels")
    func cifar() throws {
        let config = try YAMLDatasetConfig.decode("{train: cifar10/cifar10_train_4000.bin, test: cifar10/cifar10_test_500.bin}")
        let data = try DataSource(locator: Self.locator).load(config)
        #expect(data.splits.train.exampleCount == 4000 && data.splits.test?.exampleCount == 500)
        #expect(Array(data.splits.train.labels.prefix(10)) == [6, 9, 9, 4, 1, 1, 2, 7, 8, 3])
        #expect(Array(data.splits.test?.labels.prefix(10) ?? []) == [3, 8, 8, 0, 6, 6, 1, 6, 3, 1])
        #expect((0..<9).map { data.splits.train.features[$0 * 3, 0] } == [59, 43, 50, 68, 98, 119, 139, 145, 149])
        #expect(data.splits.train.classNames[3] == "cat")
    }
}

/// Decodes a `dataset:` mapping from YAML text, as the experiment loader does.
enum YAMLDatasetConfig {
    static func decode(_ text: String) throws -> DatasetConfig {
        let experiment = try ExperimentLoader().load(text: """
            dataset: \(text)
            model: {hidden: [1], activation: relu}
            training: {learning_rate: 0.1, iterations: 1}
            """, file: "dataset.yaml")
        return try #require(experiment.runs.first).config.dataset
    }
}
