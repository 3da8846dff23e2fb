"""Captured child output with a cap: the first and last halves of a stream are kept, cut at
UTF-8 character boundaries (the same rule as the agent's PosixProcessRunner)."""
from __future__ import annotations

_CHUNK = 64 * 1024


class CappedOutput:
    """Keeps at most `cap` bytes of a stream: the first cap/2 and the last cap - cap/2, cut at
    UTF-8 character boundaries (the same rule as the agent's PosixProcessRunner)."""

    def __init__(self, cap: int) -> None:
        self.head_cap = cap // 2
        self.tail_cap = cap - cap // 2
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def append(self, data: bytes) -> None:
        self.total += len(data)
        room = self.head_cap - len(self.head)
        self.head += data[:room]
        self.tail += data[room:] if room > 0 else data
        if len(self.tail) > 2 * self.tail_cap + _CHUNK:
            del self.tail[:len(self.tail) - self.tail_cap]

    @property
    def truncated(self) -> bool:
        return self.total > self.head_cap + self.tail_cap

    def finish(self) -> bytes:
        if not self.truncated:
            return bytes(self.head + self.tail)
        head = bytes(self.head[:_utf8_safe_end(self.head)])
        tail = bytes(self.tail[len(self.tail) - min(len(self.tail), self.tail_cap):])
        tail = tail[_utf8_safe_begin(tail):]
        omitted = self.total - len(head) - len(tail)
        return head + f"\n[... {omitted} bytes omitted ...]\n".encode() + tail


def _is_continuation(byte: int) -> bool:
    return byte & 0xC0 == 0x80


def _utf8_safe_end(data: bytes | bytearray) -> int:
    lead = len(data)
    while lead > 0 and len(data) - lead < 4 and _is_continuation(data[lead - 1]):
        lead -= 1
    if lead == 0:
        return len(data)
    c = data[lead - 1]
    need = 4 if c >= 0xF0 else 3 if c >= 0xE0 else 2 if c >= 0xC0 else 1
    return lead - 1 if lead - 1 + need > len(data) else len(data)


def _utf8_safe_begin(data: bytes) -> int:
    skip = 0
    while skip < len(data) and skip < 3 and _is_continuation(data[skip]):
        skip += 1
    return skip
