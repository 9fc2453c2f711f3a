#!/usr/bin/env python3
"""Checks Taizhang's transparency-log proofs offline (docs/transparency.md).

A second implementation of the format, from the document alone: RFC 9162
Merkle hashing and proofs, the C2SP checkpoint, Ed25519 (the `cryptography`
package). Exit 0 when the proof holds; 4, naming each failure, when not.

    taizhang_verify.py PROOF.json --key ed25519:BASE64 [--root HEX]
"""
import argparse
import base64
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def canonical_bytes(entry):
    """Every field but `hash` as b"<utf-8 length>:<bytes>\\n"; the key only when set."""
    names = ["seq", "time", "identity", "actor", "method", "request_id", "request_sha256",
             "record_kind", "record_id", "before_json", "after_json", "prev_hash"]
    fields = [str(entry[name]) for name in names]
    if entry.get("idempotency_key"):
        fields.append(entry["idempotency_key"])
    out = b""
    for field in fields:
        raw = field.encode("utf-8")
        out += str(len(raw)).encode() + b":" + raw + b"\n"
    return out


def verify_inclusion(leaf, index, size, path, root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_root, second_root, proof):
    """RFC 9162 section 2.1.4.2."""
    if first > second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0


def signed_head(document, key, problems):
    """The (size, root) of a signed head whose signature verifies, else None."""
    text = document["checkpoint"]
    lines = text.split("\n")
    if not text.endswith("\n") or len(lines) != 5 or not lines[3].startswith("time "):
        problems.append("the signed head's checkpoint is not four lines (origin, size, root, time)")
        return None
    try:
        key.verify(base64.b64decode(document["signature"], validate=True), text.encode("utf-8"))
    except (InvalidSignature, ValueError):
        problems.append("the head's signature does not verify with the key given")
        return None
    if not lines[1].isdigit() or str(int(lines[1])) != lines[1]:
        problems.append("the checkpoint's size is not a number")
        return None
    return int(lines[1]), base64.b64decode(lines[2], validate=True)


def number(value):
    """A JSON number that is a count or an index: no booleans, no negatives."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("%r is not a non-negative integer" % (value,))
    return value


def hashes(texts):
    out = [bytes.fromhex(text) for text in texts]
    if any(len(h) != 32 for h in out):
        raise ValueError("a hash is not 64 hex digits")
    return out


def check_inclusion(doc, key):
    problems = []
    entry = doc["entry"]
    data = canonical_bytes(entry)
    if hashlib.sha256(data).hexdigest() != entry["hash"]:
        problems.append("the entry's fields do not hash to its hash: the entry was altered")
    leaf = leaf_hash(data)
    if leaf.hex() != doc["leaf_hash"]:
        problems.append("the entry's leaf hash is %s, not leaf_hash" % leaf.hex())
    index, size = number(doc["leaf_index"]), number(doc["tree_size"])
    if number(entry["seq"]) != index + 1:
        problems.append("entry #%d is not leaf %d" % (entry["seq"], index))
    root = bytes.fromhex(doc["root_hash"])
    if not verify_inclusion(leaf, index, size, hashes(doc["audit_path"]), root):
        problems.append("the audit path does not lead from the entry's leaf to root_hash")
    head = signed_head(doc["signed_head"], key, problems)
    if head and head != (doc["tree_size"], root):
        problems.append("the signed head is not of tree_size and root_hash")
    return problems


def check_consistency(doc, key, kept_root):
    problems = []
    first_root = bytes.fromhex(doc["first_root"])
    if kept_root is not None and kept_root != first_root:
        problems.append("the log's root at size %d is not the root you kept: the log was rewritten" % doc["first_size"])
    head = signed_head(doc["signed_head"], key, problems)
    if head and not verify_consistency(number(doc["first_size"]), head[0], kept_root or first_root, head[1], hashes(doc["proof"])):
        problems.append("the proof does not show that the signed tree of %d extends the tree of %d" % (head[0], doc["first_size"]))
    return problems


def main():
    parser = argparse.ArgumentParser(description="Check a Taizhang proof offline.")
    parser.add_argument("proof", help="the proof's JSON file ('-': standard input)")
    parser.add_argument("--key", required=True, help="ed25519:<base64>, as `taizhang audit key` prints it")
    parser.add_argument("--root", help="for a consistency proof: the older head's root you kept (hex)")
    args = parser.parse_args()
    try:
        if not args.key.startswith("ed25519:"):
            raise ValueError("no ed25519: prefix")
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(args.key[len("ed25519:"):], validate=True))
    except ValueError:
        parser.error("--key takes ed25519:<base64 of 32 bytes>, as `taizhang audit key` prints it")
    try:
        doc = json.load(sys.stdin if args.proof == "-" else open(args.proof, encoding="utf-8"))
        if doc.get("format") == "taizhang-inclusion-proof/1":
            problems = check_inclusion(doc, key)
        elif doc.get("format") == "taizhang-consistency-proof/1":
            problems = check_consistency(doc, key, bytes.fromhex(args.root) if args.root else None)
        else:
            parser.error("not a Taizhang proof: unknown format %r" % doc.get("format"))
    except (KeyError, ValueError, TypeError, AttributeError) as error:
        problems = ["the document does not read as a proof: %s" % error]
    for problem in problems:
        print("FAIL: " + problem)
    if problems:
        return 4
    print("OK: the proof holds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
