"""A forger's tools: rewrite a sklearn_dl.save file and recompute its hashes.

The hashes in the file catch accidents, not forgery; these helpers produce
files whose hashes are valid, so that only the format's checks stand between
the file and the loader.
"""

import hashlib
import io
import json
import zipfile

import torch
from safetensors import safe_open
from safetensors.torch import save, save_file

from sklearn_dl.io import _weights_hash


def read(path):
    """(metadata dict, tensors) of a saved file."""
    with safe_open(path, framework="pt") as f:
        meta = json.loads(f.metadata()["sklearn_dl"])
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    return meta, tensors


def write(meta, tensors, out=None, text=None):
    """Write (or return the bytes of) a file with valid hashes; ``text`` overrides the JSON."""
    tensors = {k: v.contiguous() for k, v in tensors.items()}
    if text is None:
        meta = dict(meta)
        meta["weights_sha256"] = _weights_hash(tensors)
        text = json.dumps(meta, sort_keys=True)
    metadata = {"sklearn_dl": text, "sklearn_dl_sha256": hashlib.sha256(text.encode()).hexdigest()}
    if out is None:
        return save(tensors, metadata=metadata)
    save_file(tensors, out, metadata=metadata)
    return out


def forge(path, out, edit):
    """Apply ``edit(meta, tensors)`` to a saved file; write it with valid hashes."""
    meta, tensors = read(path)
    edit(meta, tensors)
    return write(meta, tensors, out)


def skops_schema(tensors):
    """The schema.json of a pipeline file's skops part."""
    blob = tensors["skops"].numpy().tobytes()
    return json.loads(zipfile.ZipFile(io.BytesIO(blob)).read("schema.json"))


def set_skops_schema(tensors, schema):
    """Replace the skops part's schema.json (other members kept, stored uncompressed)."""
    blob = tensors["skops"].numpy().tobytes()
    src = zipfile.ZipFile(io.BytesIO(blob))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = json.dumps(schema).encode() if info.filename == "schema.json" \
                else src.read(info)
            dst.writestr(info.filename, data)
    tensors["skops"] = torch.frombuffer(bytearray(buffer.getvalue()), dtype=torch.uint8)


def nodes(schema):
    """Every skops node (a dict with a __loader__) of a schema, depth first."""
    stack, found = [schema], []
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__loader__" in node:
                found.append(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found
