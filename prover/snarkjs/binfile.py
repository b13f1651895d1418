"""iden3's sectioned binary container (.r1cs, .wtns, .zkey, .ptau), read through ``mmap``.

Layout (all integers little-endian)::

    magic (4 ASCII bytes), u32 version, u32 nSections,
    then nSections times:  u32 id, u64 size, body (size bytes)

Bodies are never copied on open: ``BinFile`` maps the file once (copy-on-write,
so numpy views over it are writeable for Numba and writes never reach the
disk) and hands out ``memoryview``/numpy views of sections.  Every structural
fault — wrong magic, unsupported version, a section running past the end,
trailing bytes, a duplicated or missing section, a section of the wrong size —
raises ``FormatError`` with one line naming the file and the fault.

``write_bin`` writes the same container from ``(id, chunks)`` pairs in the
order given (snarkjs writes a zkey's sections 3…14 first and the headers 1, 2
last; byte-identical output needs the same order).
"""

import mmap
import os
import struct

import numpy as np

from verifier.errors import BadInput

__all__ = ["FormatError", "BinFile", "write_bin", "FIELD_BYTES"]

#: bytes of one BN254 field element in these files (n8 = 32 for both r and q)
FIELD_BYTES = 32


class FormatError(BadInput):
    """A malformed or mismatched circom/snarkjs file (one line naming the file)."""


class BinFile:
    """One container file, memory-mapped; ``sections[id]`` = list of (offset, size)."""

    def __init__(self, path, magic: bytes, max_version: int, kind: str):
        self.path = os.fspath(path)
        self.kind = kind
        try:
            f = open(self.path, "rb")
        except OSError as e:
            raise FormatError(f"{kind} {self.path}: cannot open ({e.strerror})") from None
        with f:
            size = os.fstat(f.fileno()).st_size
            if size < 12:
                raise FormatError(f"{kind} {self.path}: truncated ({size} bytes, shorter than "
                                  "the 12-byte preamble)")
            self.map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
        self.size = size
        head = self.map[:12]
        if head[:4] != magic:
            raise self.error(f"wrong magic {bytes(head[:4])!r}: not a {kind} file "
                             f"(expected {magic!r})")
        self.version, nsec = struct.unpack("<II", head[4:12])
        if not 1 <= self.version <= max_version:
            raise self.error(f"unsupported version {self.version} "
                             f"(this reader knows 1..{max_version})")
        self.sections, pos = {}, 12
        for _ in range(nsec):
            if pos + 12 > size:
                raise self.error(f"truncated: the section table stops at byte {pos} of {size}")
            sid, ssize = struct.unpack("<IQ", self.map[pos:pos + 12])
            if pos + 12 + ssize > size:
                raise self.error(f"truncated: section {sid} declares {ssize} bytes, only "
                                 f"{size - pos - 12} remain")
            self.sections.setdefault(sid, []).append((pos + 12, ssize))
            pos += 12 + ssize
        if pos != size:
            raise self.error(f"{size - pos} trailing bytes after the {nsec} declared sections")

    def error(self, msg: str) -> FormatError:
        return FormatError(f"{self.kind} {self.path}: {msg}")

    def section(self, sid: int, name: str, size: int = None):
        """(offset, size) of the unique section ``sid``; checks its size when given."""
        found = self.sections.get(sid)
        if not found:
            raise self.error(f"missing section {sid} ({name})")
        if len(found) > 1:
            raise self.error(f"section {sid} ({name}) appears {len(found)} times")
        off, ssize = found[0]
        if size is not None and ssize != size:
            raise self.error(f"section {sid} ({name}) has {ssize} bytes, expected {size}")
        return off, ssize

    def bytes(self, sid: int, name: str, size: int = None) -> memoryview:
        off, ssize = self.section(sid, name, size)
        return memoryview(self.map)[off:off + ssize]

    def array(self, sid: int, name: str, dtype, shape, start: int = 0) -> np.ndarray:
        """A numpy view of ``shape`` elements of ``dtype`` at byte ``start`` of section ``sid``."""
        off, ssize = self.section(sid, name)
        count = int(np.prod(shape))
        nbytes = count * np.dtype(dtype).itemsize
        if start + nbytes > ssize:
            raise self.error(f"section {sid} ({name}) has {ssize} bytes, needs {start + nbytes}")
        return np.frombuffer(self.map, dtype=dtype, count=count, offset=off + start).reshape(shape)

    def u32s(self, sid: int, name: str, start: int, count: int) -> tuple:
        off, ssize = self.section(sid, name)
        if start + 4 * count > ssize:
            raise self.error(f"section {sid} ({name}) is too short ({ssize} bytes)")
        return struct.unpack_from(f"<{count}I", self.map, off + start)


def write_bin(path, magic: bytes, version: int, sections) -> None:
    """Write a container; ``sections`` yields ``(id, chunks)``, chunks bytes-like or arrays.

    Written to a temporary name and renamed, so a failure never leaves half a file."""
    path = os.fspath(path)
    tmp = f"{path}.tmp{os.getpid()}"
    sections = list(sections)
    try:
        with open(tmp, "wb") as f:
            f.write(magic + struct.pack("<II", version, len(sections)))
            for sid, chunks in sections:
                start = f.tell()
                f.write(struct.pack("<IQ", sid, 0))
                for chunk in chunks():
                    f.write(np.ascontiguousarray(chunk) if isinstance(chunk, np.ndarray) else chunk)
                end = f.tell()
                f.seek(start + 4)
                f.write(struct.pack("<Q", end - start - 12))
                f.seek(end)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
