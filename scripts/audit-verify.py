#!/usr/bin/env python3
"""Verifies a Vigil export against an anchor with nothing but Python 3 and OpenSSL: a second,
independent implementation of the formats documented in Sources/VigilAudit (LogAnchor.swift,
MerkleTree.swift, ExportFormat.swift), for an auditor who does not want to trust Vigil's own code.

    scripts/audit-verify.py EXPORT ANCHOR [TRUSTED_PUBLIC_KEY_PEM]

It checks the anchor's Ed25519 signature with `openssl pkeyutl` (against the trusted key when one is
given), every line's chain (versions 1, 2, 3… per stream, positions increasing, hash =
SHA-256(previous hash || canonical), the line's position (hash version 2), stream, version and type those of its canonical text),
then, since schema 0037, each event's id against the one its command gives it and a command's first
event's count of its events (see ChainChecker.swift), then the streams, events and Merkle root as of the
anchor's position. Exit 0 when all hold; 1 with the first failure.
"""
import base64
import decimal
import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import threading


def fail(message):
    print(f"FAILED: {message}")
    sys.exit(1)


def merkle_root(leaves):
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + merkle_root(leaves[:k]) + merkle_root(leaves[k:])).digest()


def command_event_id(command, place):
    """The id schema 0037 gives the event at `place` of a command: SHA-256("vigil command event" LF id LF
    place), its first 16 bytes as a version-8 UUID (CommandEventId.swift)."""
    d = bytearray(hashlib.sha256(b"vigil command event\n" + command.encode("utf-8") + b"\n" + str(place).encode()).digest()[:16])
    d[6] = (d[6] & 0x0F) | 0x80
    d[8] = (d[8] & 0x3F) | 0x80
    h = d.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class JSONObject(dict):
    """An object as the canonical text has it, marked when a key appears twice (jsonb keeps one)."""
    duplicate = False


def json_object(pairs):
    result = JSONObject(pairs)
    result.duplicate = len(result) != len(pairs)
    return result


def json_constant(name):
    raise ValueError(f"{name} is not JSON")


class Commands:
    """A command's events in a stream are consecutive versions (one append): their ids and the count on the
    first are checked as `vigil audit verify` does. An id of the older kind (not version 8) is not judged:
    its command's record was in vigil.commands, which an export does not carry. An event that names no
    command after the first with its command's id fails."""

    def __init__(self):
        self.runs, self.ids_from = {}, None

    def close(self, stream):
        run = self.runs.pop(stream, None)
        if run and run["declared"] is not None and run["declared"] != run["present"]:
            fail(f"line {run['line']}: its command {run['command']} appended {run['declared']} events, "
                 f"and {run['present']} of them are in the export")

    def add(self, number, position, stream, version, canonical):
        # [stream, version, id, type, schema, data, metadata, command, correlation, causation, actor, µs]
        # (the position taken off): exactly these twelve, each of its kind, or the text was forged.
        def text(value, null=False):
            if value is None:
                return null
            if type(value) is not str:
                return False
            try:
                value.encode("utf-8")  # a lone surrogate (\\ud800) is no text the database holds
                return True
            except UnicodeEncodeError:
                return False

        def whole(value):
            return type(value) is int and -2**63 <= value < 2**63
        if (len(canonical) != 12 or not text(canonical[0]) or not whole(canonical[1]) or not text(canonical[2])
                or not text(canonical[3]) or not whole(canonical[4]) or not all(text(v, null=True) for v in canonical[7:10])
                or not text(canonical[10]) or not whole(canonical[11])
                or getattr(canonical[6], "duplicate", False)):
            fail(f"line {number}: its canonical text is not the thirteen values of hash version 2, each of its kind")
        event_id, metadata, command = canonical[2], canonical[6], canonical[7]
        run = self.runs.get(stream)
        if command is not None and run and run["command"] == command:
            run["present"] += 1
        else:
            self.close(stream)
            if command is None:
                if self.ids_from is not None:
                    fail(f"line {number}: it names no command, after position {self.ids_from} whose event has its command's id")
                return
            run = self.runs[stream] = {"command": command, "first": version, "present": 1, "declared": None, "line": number}
        place = version - run["first"]
        derived = command_event_id(command, place)
        if event_id.lower() == derived:
            self.ids_from = self.ids_from or position
            if place == 0 and isinstance(metadata, dict) and "commandEvents" in metadata:
                # As numeric compares it, exactly (the canonical text's numbers are read as Decimals). No
                # count is not judged: a command of several events appended before 0037 has none.
                count = metadata["commandEvents"]
                run["declared"] = count if type(count) in (int, decimal.Decimal) else 1
        elif event_id[14:15] == "8" or not UUID_TEXT.fullmatch(event_id):
            fail(f"line {number}: its id is not the one its command {command} gives the event at place {place}")

    def finish(self):
        for stream in list(self.runs):
            self.close(stream)


def check_signature(anchor, trusted_pem):
    signed = (
        f"{anchor['format']}\nlast-position: {anchor['lastPosition']}\nstreams: {anchor['streams']}\n"
        f"events: {anchor['events']}\nmerkle-root: {anchor['merkleRoot'].lower()}\nmade-at: {anchor['madeAt']}\n"
        f"public-key: {anchor['publicKey'].lower()}\n"
    ).encode("ascii")
    spki = bytes.fromhex("302a300506032b6570032100") + bytes.fromhex(anchor["publicKey"])
    pem = "-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(spki).decode() + "\n-----END PUBLIC KEY-----\n"
    if trusted_pem is not None:
        with open(trusted_pem) as f:
            trusted = "".join(f.read().split())
        if trusted != "".join(pem.split()):
            fail(f"the anchor was signed by key {anchor['publicKey']}, not by the trusted key in {trusted_pem}")
    with tempfile.TemporaryDirectory() as folder:
        paths = {name: os.path.join(folder, name) for name in ("key.pem", "signed.txt", "signature.bin")}
        with open(paths["key.pem"], "w") as f:
            f.write(pem)
        with open(paths["signed.txt"], "wb") as f:
            f.write(signed)
        with open(paths["signature.bin"], "wb") as f:
            f.write(bytes.fromhex(anchor["signature"]))
        result = subprocess.run(
            ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", paths["key.pem"], "-rawin",
             "-in", paths["signed.txt"], "-sigfile", paths["signature.bin"]],
            capture_output=True)
        if result.returncode != 0:
            fail("the anchor's signature does not verify")


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__.strip().split("\n\n")[1].strip(), file=sys.stderr)
        sys.exit(2)
    export, anchor_path = sys.argv[1], sys.argv[2]
    with open(anchor_path) as f:
        anchor = json.load(f)
    if anchor.get("format") != "vigil-anchor/1":
        fail(f"{anchor_path} is not a vigil-anchor/1 file")
    check_signature(anchor, sys.argv[3] if len(sys.argv) == 4 else None)

    last = anchor["lastPosition"]
    heads, at_anchor, events, previous, covered_from = {}, None, 0, 0, None
    commands = Commands()
    with open(export, "rb") as f:
        for number, raw in enumerate(f, start=1):
            try:
                line = json.loads(raw)
                canonical = json.loads(line["canonical"], parse_float=decimal.Decimal, parse_constant=json_constant,
                                       object_pairs_hook=json_object)
                position, stream, version = line["position"], line["stream"], line["version"]
            except (ValueError, KeyError, TypeError, ArithmeticError) as error:
                fail(f"line {number}: not an event line ({error})")
            # Hash version 2 (schema 0014 on) begins with the position; version 1 leaves it out, and
            # may not follow an event that covers its position.
            if type(canonical[0]) is int:  # not bool, which Python counts as an int
                if canonical[0] != position:
                    fail(f"line {number}: its position is not its canonical text's")
                canonical = canonical[1:]
                covered_from = covered_from or position
            elif covered_from is not None:
                fail(f"line {number}: its hash leaves the position out, after position {covered_from} was covered")
            if canonical[0] != stream or canonical[1] != version or canonical[3] != line["type"]:
                fail(f"line {number}: its stream, version or type is not its canonical text's")
            if position <= previous:
                fail(f"line {number}: position {position} is not after {previous}")
            if position > last and at_anchor is None:
                at_anchor = dict(heads)
            head_version, head_hash = heads.get(stream, (0, b""))
            if version != head_version + 1:
                fail(f"line {number}: stream {stream} goes from version {head_version} to {version}")
            digest = hashlib.sha256(head_hash + line["canonical"].encode("utf-8")).digest()
            if digest.hex() != line["hash"].lower():
                fail(f"line {number}: its hash does not match its contents: the event was changed")
            if covered_from is not None:
                commands.add(number, position, stream, version, canonical)
            heads[stream] = (version, digest)
            previous = position
            if position <= last:
                events += 1
    if at_anchor is None:
        at_anchor = heads
    commands.finish()
    leaves = [
        hashlib.sha256(b"\x00" + s.encode("utf-8") + b"\x00" + struct.pack(">Q", v) + h).digest()
        for s, (v, h) in sorted(at_anchor.items(), key=lambda item: item[0].encode("utf-8"))
    ]
    if len(at_anchor) != anchor["streams"] or events != anchor["events"]:
        fail(f"as of position {last} the anchor counted {anchor['streams']} streams and {anchor['events']} events; "
             f"the export has {len(at_anchor)} and {events}")
    if merkle_root(leaves).hex() != anchor["merkleRoot"].lower():
        fail(f"the log as of position {last} is not the one the anchor signed (its Merkle root differs)")
    print(f"holds: {events} events in {len(at_anchor)} streams as of position {last}, "
          f"{previous} the last position of the export")


if __name__ == "__main__":
    # The database takes data nested some twelve thousand deep, and json reads nesting by recursion: a
    # deep stack and a high limit, in a thread of its own (the main thread's stack is the system's).
    sys.setrecursionlimit(1_000_000)
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0)  # the database prints a number of any size as digits
    threading.stack_size(1 << 30)
    result = {}

    def run():
        try:
            main()
            result["status"] = 0
        except SystemExit as exit:
            result["status"] = exit.code if isinstance(exit.code, int) else 1
    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    sys.exit(result.get("status", 1))
