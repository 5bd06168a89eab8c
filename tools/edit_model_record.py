#!/usr/bin/env python3
"""Rewrite the training record (`trained`) in the JSON header of a saved subgenre model
(.sgcnn), leaving the weights byte for byte as they were: how the shipped models' records were
shortened (absolute paths) and given their honest estimates.

    python3 tools/edit_model_record.py MODEL.sgcnn OUT.sgcnn '{"key": value, ...}'

Each key of the JSON object replaces (or adds) that key of `trained`; a null value removes it.
"""
import json
import os
import struct
import sys

MAGIC = b"SUBGENRE-CNN\n"


def main():
    src, dst, changes = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    data = open(src, "rb").read()
    if not data.startswith(MAGIC):
        sys.exit(f"{src}: not a subgenre model")
    (n,) = struct.unpack("<Q", data[len(MAGIC):len(MAGIC) + 8])
    start = len(MAGIC) + 8
    spec = json.loads(data[start:start + n])
    weights = data[start + n:]
    for key, value in changes.items():
        if value is None:
            spec["trained"].pop(key, None)
        else:
            spec["trained"][key] = value
    header = json.dumps(spec, indent=2, ensure_ascii=False).encode()
    tmp = dst + ".tmp"
    with open(tmp, "wb") as f:
        f.write(MAGIC + struct.pack("<Q", len(header)) + header + weights)
    os.replace(tmp, dst)


if __name__ == "__main__":
    main()
