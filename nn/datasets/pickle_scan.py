"""Check that a stream is one well-formed pickle, in constant memory, before unpickling it.

Python's unpickler trusts the lengths written in a pickle: a ``BINBYTES8`` opcode that claims
3.6 GB makes it allocate 3.6 GB before it finds that the bytes are not there. `check_pickle`
walks the opcodes first, reading the stream in chunks and skipping over the data each opcode
carries, so it notices a length that the stream does not back, an unknown opcode, trailing
bytes or a stream larger than allowed -- holding at most one chunk at a time. A pickle that
passes can then be unpickled knowing that every length in it is backed by bytes that exist.
"""

from __future__ import annotations

import pickletools
import struct

from .errors import CorruptDataError
from .files import CHUNK_SIZE, Readable

__all__ = ["check_pickle"]

_OPCODES = {opcode.code.encode("latin-1"): opcode for opcode in pickletools.opcodes}
# How the length of a counted argument is written (pickletools' codes for "the length comes
# first, as a 1-byte / signed 4-byte / unsigned 4-byte / unsigned 8-byte integer").
_LENGTH_FORMATS = {
    pickletools.TAKEN_FROM_ARGUMENT1: "<B",
    pickletools.TAKEN_FROM_ARGUMENT4: "<i",
    pickletools.TAKEN_FROM_ARGUMENT4U: "<I",
    pickletools.TAKEN_FROM_ARGUMENT8U: "<Q",
}


class _Scanner:
    """Reads a stream in chunks, keeping only the current chunk; counts what it has read."""

    def __init__(self, stream: Readable, *, max_size: int, name: str) -> None:
        self._stream = stream
        self._max_size = max_size
        self._name = name
        self._buffer = b""
        self._offset = 0  # position in _buffer
        self.position = 0  # position in the stream

    def _fill(self) -> bool:
        """Read the next chunk; False at the end of the stream."""
        chunk = self._stream.read(CHUNK_SIZE)
        if not chunk:
            return False
        if self.position + len(self._buffer) - self._offset + len(chunk) > self._max_size:
            raise CorruptDataError(
                f"{self._name}: cannot unpickle: the pickle is larger than the "
                f"{self._max_size} bytes such a file can hold; refusing it. Replace it with a "
                "fresh copy."
            )
        self._buffer = self._buffer[self._offset :] + chunk
        self._offset = 0
        return True

    def _truncated(self) -> CorruptDataError:
        return CorruptDataError(
            f"{self._name}: cannot unpickle: the pickle is truncated: it ends at byte "
            f"{self.position}, inside an opcode or its data. Replace it with a fresh copy."
        )

    def take(self, size: int) -> bytes:
        """Return the next `size` bytes (a few: an opcode or a length)."""
        while len(self._buffer) - self._offset < size:
            if not self._fill():
                raise self._truncated()
        data = self._buffer[self._offset : self._offset + size]
        self._offset += size
        self.position += size
        return data

    def skip(self, size: int) -> None:
        """Skip `size` bytes without keeping them."""
        while size > 0:
            if self._offset == len(self._buffer) and not self._fill():
                raise self._truncated()
            step = min(size, len(self._buffer) - self._offset)
            self._offset += step
            self.position += step
            size -= step

    def skip_line(self) -> None:
        """Skip up to and including the next newline."""
        while True:
            newline = self._buffer.find(b"\n", self._offset)
            if newline >= 0:
                self.position += newline + 1 - self._offset
                self._offset = newline + 1
                return
            self.position += len(self._buffer) - self._offset
            self._offset = len(self._buffer)
            if not self._fill():
                raise self._truncated()

    def at_end(self) -> bool:
        """True if nothing is left in the stream."""
        return self._offset == len(self._buffer) and not self._fill()


def check_pickle(stream: Readable, *, max_size: int, name: str) -> None:
    """Walk the pickle in `stream` opcode by opcode, reading at most `max_size` bytes.

    Only the framing is checked (what the opcodes *mean* is the unpickler's business): every
    opcode is known, every argument is complete, lengths are not negative, the pickle ends
    with STOP and nothing follows it. `name` is used in messages.

    Raises:
        CorruptDataError: the stream is not exactly one complete pickle of at most
            `max_size` bytes.
    """
    scanner = _Scanner(stream, max_size=max_size, name=name)
    while True:
        start = scanner.position
        code = scanner.take(1)
        opcode = _OPCODES.get(code)
        if opcode is None:
            raise CorruptDataError(
                f"{name}: cannot unpickle: byte 0x{code.hex()} at offset {start} is not a pickle "
                "opcode; the "
                "file is not a pickle, or is corrupt. Replace it with a fresh copy."
            )
        argument = opcode.arg
        if argument is None:
            pass
        elif argument.n >= 0:
            scanner.skip(argument.n)
        elif argument.n == pickletools.UP_TO_NEWLINE:
            scanner.skip_line()
            if argument.name == "stringnl_noescape_pair":  # GLOBAL and INST: module, then name
                scanner.skip_line()
        else:
            length_format = _LENGTH_FORMATS[argument.n]
            (length,) = struct.unpack(length_format, scanner.take(struct.calcsize(length_format)))
            if length < 0:
                raise CorruptDataError(
                    f"{name}: cannot unpickle: {opcode.name} at offset {start} has the negative "
                    f"length {length}."
                )
            scanner.skip(length)
        if opcode.name == "STOP":
            break
    if not scanner.at_end():
        raise CorruptDataError(
            f"{name}: cannot unpickle: trailing bytes after the pickle ends at byte "
            f"{scanner.position}. Replace it with a fresh copy."
        )
