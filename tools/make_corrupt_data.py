#!/usr/bin/env python3
"""Writes the corrupt and edge-case data files of the bad-input corpus, and one experiment file
per data file that loads it through the runner.

    python3 tools/make_corrupt_data.py

Output (relative to the checkout):
    Tests/ExperimentsTests/Fixtures/corpus/data/                 the data files (each < 20 KB)
    Tests/ExperimentsTests/Fixtures/corpus/experiments/3NN-data-*.yaml   one experiment per file

Standard library only (numpy is not needed). HDF5 files are written only when h5py is
importable; without it the HDF5 cases are limited to files that are not HDF5 at all (plain
bytes with a .h5 name), which need no library.

The experiments name their files relative to the data folder; the end-to-end test runs
`runner plan experiments/<file> --data-dir data` from the corpus folder.
"""
import gzip
import os
import shutil
import struct
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
CORPUS = os.path.join(ROOT, "Tests", "ExperimentsTests", "Fixtures", "corpus")
DATA = os.path.join(CORPUS, "data")
EXPERIMENTS = os.path.join(CORPUS, "experiments")
FIRST_NUMBER = 301          # hand-written experiments use 001-299
MAX_BYTES = 20 * 1024

try:
    import h5py  # noqa: F401
    HAVE_H5PY = True
except ImportError:
    HAVE_H5PY = False

files = {}       # name -> bytes (or None for a directory)
experiments = []  # (slug, breaks, dataset line, model line)

SOFTMAX = "model: {hidden: [4], activation: tanh, output: softmax}"
SIGMOID = "model: {hidden: [4], activation: tanh, output: sigmoid}"


def data(name, content):
    assert name not in files, name
    files[name] = content


def experiment(slug, breaks, dataset, model=SOFTMAX):
    experiments.append((slug, breaks, dataset, model))


# ---------------------------------------------------------------- IDX
def idx(type_byte, dims, body, magic_prefix=b"\x00\x00"):
    return magic_prefix + bytes([type_byte, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + body


def pixels(count, rows=4, columns=4):
    return bytes((i * 37 + j * 11) % 256 for i in range(count) for j in range(rows * columns))


LABELS10 = bytes([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
OK_IMAGES = idx(0x08, [10, 4, 4], pixels(10))
OK_LABELS = idx(0x08, [10], LABELS10)
data("ok-images-idx3-ubyte", OK_IMAGES)
data("ok-labels-idx1-ubyte", OK_LABELS)
data("ok-images-idx3-ubyte.gz", gzip.compress(OK_IMAGES, mtime=0))
data("ok-labels-idx1-ubyte.gz", gzip.compress(OK_LABELS, mtime=0))


def idx_experiment(slug, breaks, images="ok-images-idx3-ubyte", labels="ok-labels-idx1-ubyte", extra="", model=SOFTMAX):
    experiment(slug, breaks, f"dataset: {{train: {images}, train_labels: {labels}, format: idx{extra}}}", model)


idx_experiment("idx-control", "nothing: a valid IDX pair (control for the IDX cases)")
idx_experiment("idx-gz-control", "nothing: a valid gzipped IDX pair (control)",
               "ok-images-idx3-ubyte.gz", "ok-labels-idx1-ubyte.gz")

data("bad-magic-images-idx3-ubyte", idx(0x08, [10, 4, 4], pixels(10), magic_prefix=b"\x12\x34"))
idx_experiment("idx-bad-magic", "an IDX image file whose magic number does not start with two zero bytes",
               "bad-magic-images-idx3-ubyte")
data("bad-magic-labels-idx1-ubyte", idx(0x08, [10], LABELS10, magic_prefix=b"\xff\xd8"))
idx_experiment("idx-bad-magic-labels", "an IDX label file with a JPEG-like magic number",
               labels="bad-magic-labels-idx1-ubyte")
data("bad-type-images-idx3-ubyte", idx(0x0D, [10, 4, 4], pixels(10) * 4))
idx_experiment("idx-bad-type", "an IDX image file of type 0x0D (float) instead of 0x08",
               "bad-type-images-idx3-ubyte")
data("bad-rank-images-idx3-ubyte", idx(0x08, [10, 4, 4, 1], pixels(10)))
idx_experiment("idx-bad-rank", "an IDX image file with 4 dimensions", "bad-rank-images-idx3-ubyte")
data("labels-as-images-idx3-ubyte", OK_LABELS)
idx_experiment("idx-labels-as-images", "a label file (rank 1) given as the images",
               "labels-as-images-idx3-ubyte")
data("images-as-labels-idx1-ubyte", OK_IMAGES)
idx_experiment("idx-images-as-labels", "an image file (rank 3) given as the labels",
               labels="images-as-labels-idx1-ubyte")
data("huge-count-images-idx3-ubyte", idx(0x08, [0xFFFFFFFF, 4, 4], pixels(10)))
idx_experiment("idx-huge-count", "an IDX header claiming 0xFFFFFFFF images (10 present)",
               "huge-count-images-idx3-ubyte")
data("huge-count-labels-idx1-ubyte", idx(0x08, [0xFFFFFFFF], LABELS10))
idx_experiment("idx-huge-label-count", "an IDX label header claiming 0xFFFFFFFF labels",
               labels="huge-count-labels-idx1-ubyte")
data("huge-pixels-images-idx3-ubyte", idx(0x08, [1, 65535, 65535], pixels(4)))
idx_experiment("idx-huge-pixels", "one IDX image of 65535 × 65535 pixels (64 bytes present)",
               "huge-pixels-images-idx3-ubyte", "one-label-idx1-ubyte")
data("one-label-idx1-ubyte", idx(0x08, [1], b"\x01"))
data("max-dims-images-idx3-ubyte", idx(0x08, [0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF], b""))
idx_experiment("idx-max-dims", "an IDX header whose three dimensions are all 0xFFFFFFFF (2^96 values)",
               "max-dims-images-idx3-ubyte")
data("zero-images-idx3-ubyte", idx(0x08, [0, 4, 4], b""))
data("zero-labels-idx1-ubyte", idx(0x08, [0], b""))
idx_experiment("idx-zero-images", "IDX files holding 0 images and 0 labels",
               "zero-images-idx3-ubyte", "zero-labels-idx1-ubyte")
data("zero-size-images-idx3-ubyte", idx(0x08, [10, 0, 0], b""))
idx_experiment("idx-zero-pixels", "10 IDX images of 0 × 0 pixels (no features)", "zero-size-images-idx3-ubyte")
data("truncated-images-idx3-ubyte", OK_IMAGES[:16 + 77])
idx_experiment("idx-truncated-body", "an IDX image file cut off in the middle of its pixels",
               "truncated-images-idx3-ubyte")
data("truncated-header-images-idx3-ubyte", OK_IMAGES[:7])
idx_experiment("idx-truncated-header", "an IDX image file cut off inside its header",
               "truncated-header-images-idx3-ubyte")
data("mismatch-labels-idx1-ubyte", idx(0x08, [7], LABELS10[:7]))
idx_experiment("idx-count-mismatch", "7 labels for 10 images", labels="mismatch-labels-idx1-ubyte")
data("extra-bytes-images-idx3-ubyte", OK_IMAGES + b"\x00" * 40)
idx_experiment("idx-trailing-bytes", "an IDX image file with 40 bytes after the last image",
               "extra-bytes-images-idx3-ubyte")
data("label-255-labels-idx1-ubyte", idx(0x08, [10], bytes([0, 1, 2, 0, 1, 255, 0, 1, 2, 0])))
idx_experiment("idx-label-beyond-class-names", "a label 255 with a class-names file of 3 names",
               labels="label-255-labels-idx1-ubyte", extra=", class_names: three-class-names.txt")
idx_experiment("idx-label-255-sigmoid", "labels 0-255 (256 classes) with a sigmoid output",
               labels="label-255-labels-idx1-ubyte", model=SIGMOID)
data("corrupt-images-idx3-ubyte.gz", gzip.compress(OK_IMAGES, mtime=0)[:10] + bytes(range(200, 256)) * 3)
idx_experiment("idx-gzip-corrupt", "a .gz whose deflate stream is garbage", "corrupt-images-idx3-ubyte.gz",
               "ok-labels-idx1-ubyte.gz")
whole = gzip.compress(OK_IMAGES, mtime=0)
data("truncated-images-idx3-ubyte.gz", whole[:len(whole) // 2])
idx_experiment("idx-gzip-truncated", "a gzip file cut off half-way", "truncated-images-idx3-ubyte.gz",
               "ok-labels-idx1-ubyte.gz")
bad_crc = bytearray(whole)
bad_crc[-8] ^= 0xFF
data("bad-crc-images-idx3-ubyte.gz", bytes(bad_crc))
idx_experiment("idx-gzip-bad-crc", "a gzip file whose CRC-32 trailer is wrong", "bad-crc-images-idx3-ubyte.gz",
               "ok-labels-idx1-ubyte.gz")
data("empty-images-idx3-ubyte", b"")
idx_experiment("idx-empty-file", "an empty (0-byte) IDX image file", "empty-images-idx3-ubyte")
data("empty-labels-idx1-ubyte.gz", b"")
idx_experiment("idx-empty-gz", "an empty (0-byte) .gz label file", labels="empty-labels-idx1-ubyte.gz")
data("text-images-idx3-ubyte", b"this is not an IDX file, just some text\n" * 4)
idx_experiment("idx-text", "a text file named like IDX images", "text-images-idx3-ubyte")

# ---------------------------------------------------------------- CIFAR-10 binary
def cifar_record(label, seed):
    return bytes([label]) + bytes((seed * 13 + k * 7) % 256 for k in range(3072))


OK_CIFAR = cifar_record(3, 1) + cifar_record(5, 2) + cifar_record(3, 3)  # 9 219 bytes
data("ok-cifar.bin", OK_CIFAR)


def cifar_experiment(slug, breaks, name, extra="", model=SOFTMAX):
    experiment(slug, breaks, f"dataset: {{train: {name}{extra}}}", model)


cifar_experiment("cifar-control", "nothing: three valid CIFAR-10 records (control for the CIFAR cases)",
                 "ok-cifar.bin")
data("bad-size-cifar.bin", OK_CIFAR[:2 * 3073] + b"\x01\x02\x03\x04\x05")
cifar_experiment("cifar-bad-size", "a CIFAR file of 2 × 3073 + 5 bytes", "bad-size-cifar.bin")
data("empty-cifar.bin", b"")
cifar_experiment("cifar-empty", "an empty CIFAR file", "empty-cifar.bin")
data("short-cifar.bin", OK_CIFAR[:100])
cifar_experiment("cifar-short", "a CIFAR file shorter than one record", "short-cifar.bin")
data("label-12-cifar.bin", cifar_record(1, 1) + cifar_record(12, 2))
cifar_experiment("cifar-label-out-of-range", "a CIFAR label 12 with the ten default class names",
                 "label-12-cifar.bin")
data("label-5-cifar.bin", cifar_record(0, 1) + cifar_record(5, 2))
cifar_experiment("cifar-label-beyond-names", "a CIFAR label 5 with a class-names file of 3 names",
                 "label-5-cifar.bin", ", class_names: three-class-names.txt")
cifar_experiment("cifar-keep-unknown-class", "keep_classes naming a class CIFAR-10 does not have",
                 "ok-cifar.bin", ", keep_classes: [cat, unicorn]")
cifar_experiment("cifar-keep-class-absent", "keep_classes naming a real class with no image in the file",
                 "ok-cifar.bin", ", keep_classes: [cat, truck]")
cifar_experiment("cifar-sigmoid-ten-classes", "a sigmoid output on CIFAR's ten classes",
                 "ok-cifar.bin", model=SIGMOID)
cifar_experiment("cifar-empty-class-names", "an empty class-names file", "ok-cifar.bin",
                 ", class_names: empty-class-names.txt")
cifar_experiment("cifar-duplicate-class-names", "a class-names file naming 'cat' twice", "ok-cifar.bin",
                 ", class_names: duplicate-class-names.txt, keep_classes: [cat, dog]")
cifar_experiment("cifar-non-utf8-class-names", "a class-names file that is not UTF-8", "ok-cifar.bin",
                 ", class_names: latin1-class-names.txt")
data("cifar-bad-meta/batch.bin", OK_CIFAR)
data("cifar-bad-meta/batches.meta.txt", b"airplane\nautomobile\n")
cifar_experiment("cifar-short-meta", "a batches.meta.txt beside the batch naming only 2 classes for labels 3 and 5",
                 "cifar-bad-meta/batch.bin")

# ---------------------------------------------------------------- class names
data("three-class-names.txt", b"zero\none\ntwo\n")
data("empty-class-names.txt", b"")
data("duplicate-class-names.txt", b"airplane\nautomobile\nbird\ncat\ndeer\ncat\nfrog\nhorse\nship\ntruck\n")
data("latin1-class-names.txt", "avion\nautomobile\noiseau\nchat\ncerf\nchien\ngrenouille\ncheval\nnavire\ncamion\u00e9\n"
     .encode("latin-1"))
idx_experiment("idx-empty-class-names", "an empty class-names file for IDX labels 0-2",
               extra=", class_names: empty-class-names.txt")

# ---------------------------------------------------------------- CSV
def csv_experiment(slug, breaks, name, extra="", model=SOFTMAX):
    experiment(slug, breaks, f"dataset: {{train: {name}{extra}}}", model)


ok_rows = ["x1,x2,y"] + [f"{(i * 7) % 10 / 10},{(i * 3) % 10 / 10},{i % 2}" for i in range(20)]
data("ok.csv", ("\n".join(ok_rows) + "\n").encode())
csv_experiment("csv-control", "nothing: a valid CSV (control for the CSV cases)", "ok.csv", model=SIGMOID)
data("ragged.csv", b"x1,x2,y\n0.1,0.2,0\n0.3,1\n0.5,0.6,1\n")
csv_experiment("csv-ragged", "a CSV row with fewer fields than the header", "ragged.csv")
data("ragged-long.csv", b"x1,x2,y\n0.1,0.2,0\n0.3,0.4,0.9,1\n")
csv_experiment("csv-ragged-long", "a CSV row with more fields than the header", "ragged-long.csv")
data("non-numeric.csv", b"x1,x2,y\n0.1,0.2,0\n0.3,abc,1\n")
csv_experiment("csv-non-numeric", "a non-numeric feature cell", "non-numeric.csv")
data("nan.csv", b"x1,x2,y\n0.1,0.2,0\nNaN,0.4,1\n")
csv_experiment("csv-nan", "a NaN feature", "nan.csv")
data("inf.csv", b"x1,x2,y\n0.1,0.2,0\n0.3,inf,1\n")
csv_experiment("csv-inf", "an infinite feature", "inf.csv")
data("overflow.csv", b"x1,x2,y\n0.1,0.2,0\n1e400,0.4,1\n")
csv_experiment("csv-overflow", "a feature 1e400 that overflows a double", "overflow.csv")
data("empty-cell.csv", b"x1,x2,y\n0.1,,0\n0.3,0.4,1\n")
csv_experiment("csv-empty-cell", "an empty feature cell", "empty-cell.csv")
data("header-only.csv", b"x1,x2,y\n")
csv_experiment("csv-header-only", "a CSV with a header and no rows", "header-only.csv")
data("empty.csv", b"")
csv_experiment("csv-empty", "an empty CSV file", "empty.csv")
data("one-column.csv", b"y\n0\n1\n")
csv_experiment("csv-one-column", "a CSV with only a label column", "one-column.csv")
data("unclosed-quote.csv", b'x1,x2,y\n0.1,"0.2,0\n0.3,0.4,1\n')
csv_experiment("csv-unclosed-quote", "a quoted CSV field that is never closed", "unclosed-quote.csv")
data("single-class.csv", b"x1,x2,y\n0.1,0.2,1\n0.3,0.4,1\n0.5,0.6,1\n")
csv_experiment("csv-single-class", "every label the same class", "single-class.csv", model=SIGMOID)
data("non-utf8.csv", "x1,x2,y\n0.1,0.2,caf\u00e9\n0.3,0.4,th\u00e9\n".encode("latin-1"))
csv_experiment("csv-non-utf8", "Latin-1 bytes in a CSV file", "non-utf8.csv")
data("mixed-labels.csv", b"x1,x2,y\n0.1,0.2,0\n0.3,0.4,cat\n0.5,0.6,1\n0.7,0.8,dog\n")
csv_experiment("csv-mixed-labels", "labels mixing numbers and words", "mixed-labels.csv")
data("negative-labels.csv", b"x1,x2,y\n0.1,0.2,-1\n0.3,0.4,1\n0.5,0.6,-1\n")
csv_experiment("csv-negative-labels", "labels -1 and 1 with a sigmoid output", "negative-labels.csv", model=SIGMOID)
data("float-labels.csv", b"x1,x2,y\n0.1,0.2,0.5\n0.3,0.4,1.5\n0.5,0.6,0.5\n")
csv_experiment("csv-float-labels", "fractional labels (0.5, 1.5)", "float-labels.csv", model=SIGMOID)
data("three-classes.csv", b"x1,x2,y\n0.1,0.2,0\n0.3,0.4,1\n0.5,0.6,2\n")
csv_experiment("csv-sigmoid-three-classes", "a sigmoid output on 3 CSV classes", "three-classes.csv", model=SIGMOID)
data("huge-label.csv", b"x1,x2,y\n0.1,0.2,0\n0.3,0.4,2000000000\n")
csv_experiment("csv-huge-label", "a label of 2 000 000 000 (that many classes)", "huge-label.csv")
data("duplicate-header.csv", b"x,x,y\n0.1,0.2,0\n0.3,0.4,1\n")
csv_experiment("csv-duplicate-header", "two columns with the same name, one picked as label_column", "duplicate-header.csv",
               ", label_column: x")
data("bom.csv", b"\xef\xbb\xbfy,x1,x2\n0,0.1,0.2\n1,0.3,0.4\n")
csv_experiment("csv-bom-label-column", "a UTF-8 byte-order mark before the label column's name", "bom.csv",
               ", label_column: y")
data("binary-garbage.csv", bytes((i * 97 + 13) % 256 for i in range(600)))
csv_experiment("csv-binary", "binary garbage (with NUL bytes) named .csv", "binary-garbage.csv")
data("quoted-newline.csv", b'x1,x2,y\n0.1,"0.2\n0.25",0\n0.3,0.4,1\n')
csv_experiment("csv-quoted-newline", "a quoted numeric cell holding a line break", "quoted-newline.csv")
data("blank-label.csv", b"x1,x2,y\n0.1,0.2,\n0.3,0.4,1\n")
csv_experiment("csv-blank-label", "an empty label cell", "blank-label.csv")
data("semicolons.csv", b"x1;x2;y\n0,1;0,2;0\n0,3;0,4;1\n")
csv_experiment("csv-semicolons", "a semicolon-separated file with decimal commas", "semicolons.csv")

# ---------------------------------------------------------------- other formats
data("notes.txt", b"a text file whose name says nothing about its format\n")
data("not-hdf5.h5", b"plain text, not HDF5\n" * 10)
experiment("hdf5-not-hdf5", "a text file named .h5", "dataset: {train: not-hdf5.h5}")
data("empty.h5", b"")
experiment("hdf5-empty", "an empty .h5 file", "dataset: {train: empty.h5}")
files["a-directory.csv/"] = None  # a directory with a file's name
if HAVE_H5PY:
    import numpy as np

    def h5(name, build):
        path = os.path.join(DATA, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with h5py.File(path, "w") as f:
            build(f)

    H5_BUILDERS = {
        "h5-missing-x.h5": lambda f: f.create_dataset("train_set_y", data=np.array([0, 1], dtype=np.int64)),
        "h5-count-mismatch.h5": lambda f: (f.create_dataset("train_set_x", data=np.zeros((3, 2, 2, 3), dtype=np.uint8)),
                                           f.create_dataset("train_set_y", data=np.array([0, 1], dtype=np.int64))),
        "h5-string-x.h5": lambda f: (f.create_dataset("train_set_x", data=np.array([b"a", b"b"])),
                                     f.create_dataset("train_set_y", data=np.array([0, 1], dtype=np.int64))),
    }
    for name in H5_BUILDERS:
        experiment("hdf5-" + name[3:-3], f"an HDF5 file: {name[3:-3].replace('-', ' ')}", f"dataset: {{train: {name}}}")


def main():
    if os.path.isdir(DATA):
        shutil.rmtree(DATA)
    os.makedirs(DATA)
    os.makedirs(EXPERIMENTS, exist_ok=True)
    for old in os.listdir(EXPERIMENTS):
        if old[:3].isdigit() and int(old[:3]) >= FIRST_NUMBER and "-data-" in old:
            os.remove(os.path.join(EXPERIMENTS, old))
    count = 0
    for name, content in files.items():
        path = os.path.join(DATA, name)
        if content is None:
            os.makedirs(path, exist_ok=True)
            with open(os.path.join(path, ".keep"), "wb"):
                pass  # keeps the directory in git
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        assert len(content) < MAX_BYTES, (name, len(content))
        with open(path, "wb") as f:
            f.write(content)
        count += 1
    if HAVE_H5PY:
        for name, build in H5_BUILDERS.items():
            h5(name, build)
            count += 1
    for number, (slug, breaks, dataset, model) in enumerate(experiments, start=FIRST_NUMBER):
        text = (f"# breaks: {breaks}\n"
                f"name: data-{slug}\n"
                f"{dataset}\n"
                f"{model}\n"
                "training: {learning_rate: 0.1, iterations: 10}\n")
        with open(os.path.join(EXPERIMENTS, f"{number:03d}-data-{slug}.yaml"), "w") as f:
            f.write(text)
    print(f"{count} data files in {os.path.relpath(DATA, ROOT)}; {len(experiments)} experiments "
          f"{FIRST_NUMBER:03d}-{FIRST_NUMBER + len(experiments) - 1:03d}"
          + ("" if HAVE_H5PY else "; h5py not available, HDF5 structure cases skipped"))


if __name__ == "__main__":
    sys.exit(main())
