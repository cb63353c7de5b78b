#!/usr/bin/env python3
"""Train the linear text model behind the `conduct.misogyny-model` rule.

    bench/train_conduct_model.py ../shared/data/edos/edos-train-dev.csv rules/conduct-misogyny.model
    bench/train_conduct_model.py - rules/conduct-misogyny.model --score "some text"   # reference scores

Logistic regression (L2, L-BFGS) over hashed word, word-pair and character 3-5-gram features,
computed exactly as `LinearTextModel` in Sources/LeakwatchCore/Rules/LinearTextModel.swift does.
It learns from the EDOS **train** split only: a fifth of it (fixed seed) is held out to choose the
regularisation and to report the probability threshold that keeps precision at or above
--target-precision; the final model is fitted on all of train. The dev split is never read here;
measure on it with `make quality` (leakwatch eval), like every rule.

Needs numpy and scipy. The output file holds weights only (quantised to signed bytes), no text
from the data set.
"""
import argparse
import base64
import csv
import math
import random
import re
import sys

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
MASK = 0xFFFFFFFFFFFFFFFF


def fnv1a(data: bytes) -> int:
    value = FNV_OFFSET
    for byte in data:
        value = ((value ^ byte) * FNV_PRIME) & MASK
    return value


def words(text: str) -> list:
    out, current = [], bytearray()
    for byte in text.encode("utf-8").lower():  # bytes.lower() lowers ASCII only, as the engine does
        if 97 <= byte <= 122 or 48 <= byte <= 57 or byte == 39 or byte >= 128:
            current.append(byte)
        elif current:
            out.append(bytes(current))
            current = bytearray()
    if current:
        out.append(bytes(current))
    return out


def features(text: str, dimensions: int) -> list:
    tokens = words(text)
    indices = set()
    for token in tokens:
        indices.add(fnv1a(b"w:" + token) % dimensions)
    for first, second in zip(tokens, tokens[1:]):
        indices.add(fnv1a(b"b:" + first + b" " + second) % dimensions)
    joined = b" " + b" ".join(tokens) + b" "
    for length in (3, 4, 5):
        for offset in range(len(joined) - length + 1):
            indices.add(fnv1a(b"c:" + joined[offset:offset + length]) % dimensions)
    return sorted(indices)


def score(model_text: str, text: str) -> float:
    """The probability the model file `model_text` gives `text`, exactly as the engine computes it."""
    dimensions = int(re.search(r"^dimensions: (\d+)", model_text, re.M).group(1))
    bias = float(re.search(r"^bias: (\S+)", model_text, re.M).group(1))
    scale = float(re.search(r"^scale: (\S+)", model_text, re.M).group(1))
    weights = base64.b64decode("".join(model_text.split("weights: |")[1].split()))
    indices = features(text, dimensions)
    total = sum(weights[i] - 256 if weights[i] > 127 else weights[i] for i in indices)
    value = bias + total * scale * (1 / math.sqrt(len(indices)) if indices else 0)
    return 1 / (1 + math.exp(-value))


def matrix(texts, dimensions):
    import numpy as np
    from scipy import sparse

    columns, pointers, values = [], [0], []
    for text in texts:
        indices = features(text, dimensions)
        columns += indices
        values += [1 / np.sqrt(max(1, len(indices)))] * len(indices)
        pointers.append(len(columns))
    return sparse.csr_matrix((values, columns, pointers), shape=(len(texts), dimensions))


def fit(x, y, l2):
    import numpy as np
    from scipy.optimize import minimize

    def loss(w):
        z = x @ w[:-1] + w[-1]
        p = 1 / (1 + np.exp(-z))
        value = -np.mean(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12)) + l2 * np.dot(w[:-1], w[:-1])
        gradient = np.append(x.T @ (p - y) / len(y) + 2 * l2 * w[:-1], np.mean(p - y))
        return value, gradient
    result = minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B", options={"maxiter": 400})
    return result.x


def threshold_for(scores, y, target):
    """The lowest probability threshold whose precision is at least `target`, and its recall."""
    import numpy as np

    best = (0.99, 0.0, 1.0)
    for threshold in np.arange(0.30, 0.99, 0.01):
        chosen = scores >= threshold
        tp = float((chosen & (y == 1)).sum())
        fp = float((chosen & (y == 0)).sum())
        if tp + fp == 0:
            continue
        precision, recall = tp / (tp + fp), tp / y.sum()
        if precision >= target:
            return threshold, recall, precision
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("csv")
    parser.add_argument("output")
    parser.add_argument("--dimensions", type=int, default=1 << 16)
    parser.add_argument("--target-precision", type=float, default=0.80)
    parser.add_argument("--score", nargs="*", metavar="TEXT",
                        help="print the probability OUTPUT (an existing model) gives each TEXT, and stop")
    args = parser.parse_args()
    if args.score is not None:
        with open(args.output, encoding="ascii") as handle:
            model_text = handle.read()
        for text in args.score:
            print(f"{score(model_text, text):.6f}")
        return 0
    import numpy as np

    with open(args.csv, newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["split"] == "train"]
    random.Random(20261129).shuffle(rows)
    texts = [row["text"] for row in rows]
    labels = np.array([row["label_sexist"] == "sexist" for row in rows], dtype=float)
    held = len(rows) // 5
    x = matrix(texts, args.dimensions)
    x_fit, y_fit, x_held, y_held = x[held:], labels[held:], x[:held], labels[:held]

    best = None
    for l2 in (1e-6, 3e-6, 1e-5):
        weights = fit(x_fit, y_fit, l2)
        scores = 1 / (1 + np.exp(-(x_held @ weights[:-1] + weights[-1])))
        threshold, recall, precision = threshold_for(scores, y_held, args.target_precision)
        print(f"l2 {l2:g}: held-out recall {recall:.3f} at precision {precision:.3f} "
              f"(threshold {threshold:.2f})", file=sys.stderr)
        if best is None or recall > best[1]:
            best = (l2, recall, precision, threshold)
    l2, recall, precision, threshold = best
    weights = fit(x, labels, l2)
    scale = float(np.abs(weights[:-1]).max() / 127)
    quantised = np.clip(np.round(weights[:-1] / scale), -127, 127).astype(np.int8)
    encoded = base64.b64encode(quantised.tobytes()).decode("ascii")
    summary = (f"logistic regression over hashed word, word-pair and character 3-5-gram features; "
               f"EDOS train split ({len(rows)} posts), l2 {l2:g}; held-out fifth of train: recall "
               f"{recall:.2f} at precision {precision:.2f} with threshold {threshold:.2f}")
    with open(args.output, "w", encoding="ascii") as handle:
        handle.write("# Linear text model for conduct.misogyny-model (rules/conduct.yml).\n")
        handle.write("# Made by bench/train_conduct_model.py; weights only, no training text.\n")
        handle.write("format: leakwatch-linear-text-model-1\n")
        handle.write(f"dimensions: {args.dimensions}\n")
        handle.write(f"bias: {float(weights[-1])!r}\n")
        handle.write(f"scale: {scale!r}\n")
        handle.write(f"summary: '{summary}'\n")
        handle.write("weights: |\n")
        for start in range(0, len(encoded), 76):
            handle.write("  " + encoded[start:start + 76] + "\n")
    print(f"wrote {args.output}: {summary}", file=sys.stderr)
    print(f"suggested threshold: {threshold:.2f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
