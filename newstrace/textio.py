"""Reading untrusted input bytes: decompression with limits, binary detection, decoding.

Decoding decides the encoding on this evidence, in order: a byte-order mark (UTF-8/16/32);
the pattern of zero bytes that UTF-16 text without a BOM leaves on every other byte; the
encoding the document declares (HTML ``<meta charset>``), when its bytes decode with it;
UTF-8; and last charset-normalizer's guess, which is how cp1251 text labelled UTF-8 is read
(cp1252 rather than a Central European or Baltic code page for Western-looking text with a
few accented letters). A guess is reported as a warning, never hidden. Zero bytes in what is not UTF-16/32 mark a
binary file, which is rejected rather than decoded into noise.

Gzip input is decompressed as a stream with two limits (an absolute size and a compression
ratio), so a gzip bomb is rejected after reading a bounded amount.

Text taken from input is cleaned of terminal control characters (``strip_controls``): an
article title holding ``ESC[2J`` or an OSC 8 hyperlink must not drive the terminal of whoever
lists it, and no news text needs them.
"""

from __future__ import annotations

import codecs
import gzip
import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

__all__ = ["InputRejected", "Decoded", "sniff_unicode", "looks_binary", "decode_document",
           "LineDecoder", "open_input", "GZIP_MAGIC", "strip_controls", "strip_controls_deep"]

GZIP_MAGIC = b"\x1f\x8b"
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_UTF8_NAMES = frozenset({"utf-8", "utf8", "utf_8", "u8"})
#: Ratio checks start after this many decompressed bytes (small files compress very well too).
_RATIO_GRACE_BYTES = 16 * 1024 * 1024
#: Deflate of text reaches about 10:1; a bomb of repeated bytes reaches about 1000:1.
_MAX_RATIO = 100


# Whole escape sequences first (so that no "[2J" or "]8;;https://..." is left behind as text):
# CSI (ESC [ ... final byte), OSC/DCS/APC/PM/SOS strings that end in BEL or ST, and
# two-character ESC sequences. An 8-bit C1 character (U+0080-U+009F) is removed by itself,
# never with the text after it: in scraped text it is almost always mojibake (a UTF-8 "”"
# read as Latin-1 gives "â\x80\x9d", and "“" ends in the C1 string terminator), not a
# terminal command; without its ESC nothing left behind can act on a terminal. Characters that separate text
# (vertical tab, form feed, file/group/record/unit separators, NEL) become a newline, so that
# words stay apart and content ids, which fold white space, do not change. Then any other C0
# or C1 control character except tab and newline goes.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x1b[\]PX^_][^\x07\x1b\x9c\n]{0,2048}(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[ -~]?"
)
_SEPARATORS = re.compile(r"[\x0b\x0c\x1c-\x1f\x85]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_controls(text: str) -> str:
    """``text`` without terminal escape sequences and C0/C1 control characters, keeping tab and
    newline; ``\\r\\n``, a lone ``\\r`` and the separators (VT, FF, FS-US, NEL) become ``\\n``.
    Text without them is returned as is."""
    if _CONTROL.search(text) is None:
        return text
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x1b" in text:
        text = _ESCAPE_SEQUENCE.sub("", text)
    text = _SEPARATORS.sub("\n", text)
    return _CONTROL.sub("", text)


def strip_controls_deep(value: Any) -> Any:
    """``strip_controls`` on every string in a JSON-like value, dictionary keys included."""
    if isinstance(value, str):
        return strip_controls(value)
    if isinstance(value, dict):
        return {strip_controls(str(k)): strip_controls_deep(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strip_controls_deep(v) for v in value]
    return value


class InputRejected(Exception):
    """A whole input (or the rest of it) cannot be read. ``reason`` is a short category."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str
    warning: str | None = None  # set when the encoding was guessed against the declaration


def sniff_unicode(sample: bytes) -> tuple[str | None, int]:
    """(encoding, BOM length) for UTF-8/16/32 recognisable from the first bytes, else (None, 0)."""
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name, len(bom)
    head = sample[:4096]
    half = len(head) // 2
    if half >= 2:
        even_zeros = head[0::2].count(0)
        odd_zeros = head[1::2].count(0)
        # Mostly-ASCII UTF-16 has a zero on one side of nearly every code unit.
        if odd_zeros > 0.3 * half and even_zeros < 0.05 * half:
            return _if_decodes(head, "utf-16-le")
        if even_zeros > 0.3 * half and odd_zeros < 0.05 * half:
            return _if_decodes(head, "utf-16-be")
    return None, 0


def _if_decodes(head: bytes, encoding: str) -> tuple[str | None, int]:
    try:
        codecs.getincrementaldecoder(encoding)("strict").decode(head[: len(head) // 2 * 2], final=False)
    except UnicodeDecodeError:
        return None, 0
    return encoding, 0


def looks_binary(sample: bytes) -> bool:
    """Zero bytes, or many control bytes, in input that is not UTF-16/32."""
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    controls = sum(sample.count(bytes([c])) for c in (*range(1, 8), *range(14, 27), *range(28, 32)))
    return controls > 0.1 * len(sample)


def _normal_codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("'\"")).name
    except LookupError:
        return None


#: Central European and Baltic code pages, which charset-normalizer may pick for Western text.
_CENTRAL_BALTIC = frozenset({"cp1250", "cp1257", "iso8859-2", "iso8859-4", "iso8859-13", "iso8859-16",
                             "cp775", "cp852", "mac-latin2"})
#: Below this share of non-ASCII letters, a text is Western-looking: a Central European or Baltic
#: text has several times more (Lithuanian, Polish or Czech prose: 5-10% of its letters).
_FEW_NON_ASCII_LETTERS = 0.01
_INSIDE_WORD = re.compile(r"(?<=[^\W\d_])[^\x00-\x7f](?=[^\W\d_])")


def _guess(data: bytes) -> str | None:
    """charset-normalizer's guess, except that cp1252 is preferred to a Central European or
    Baltic code page when the bytes are also cp1252, read as letters there wherever they sit
    inside a word, and make under 1% of the letters:
    a few accented letters in English-looking text ("Grain à Kaldor", read as "Grain ą Kaldor"
    in cp1257) are no evidence for a Baltic text, and cp1252 is the commoner legacy encoding."""
    from charset_normalizer import from_bytes

    best = from_bytes(data[:1_000_000]).best()
    if best is None:
        return None
    if _normal_codec(best.encoding) in _CENTRAL_BALTIC:
        try:
            western = data[:1_000_000].decode("cp1252")
        except UnicodeDecodeError:
            return best.encoding
        letters = sum(1 for ch in western if ch.isalpha())
        non_ascii = sum(1 for ch in western if ord(ch) > 127)
        inside_words = _INSIDE_WORD.findall(western)
        # In cp1252, a Polish "ł" reads "³" and "ż" reads "¿": a non-letter inside a word means
        # the text is not cp1252.
        if (letters and non_ascii < _FEW_NON_ASCII_LETTERS * letters
                and all(ch.isalpha() or ch in "\u2019\u2018\u2013\u2014" for ch in inside_words)):
            return "cp1252"
    return best.encoding


def decode_document(data: bytes, declared: str | None = None) -> Decoded:
    """Decode a whole document; raise InputRejected for binary or undecodable bytes."""
    unicode_name, bom = sniff_unicode(data)
    if unicode_name:
        return Decoded(data[bom:].decode(unicode_name, errors="replace"), unicode_name)
    if looks_binary(data[:65536]):
        raise InputRejected("binary file", "the file holds zero or control bytes, so it is not text "
                            "(an image, archive or executable?); remove it from the input")
    codec = _normal_codec(declared)
    if codec and codec not in _UTF8_NAMES:
        try:
            return Decoded(data.decode(codec), codec)
        except UnicodeDecodeError:
            pass
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    guessed = _guess(data)
    if guessed is None:
        raise InputRejected("undecodable text", "the bytes fit no known text encoding; convert the "
                            "file to UTF-8 (e.g. with iconv) and ingest it again")
    label = declared or "UTF-8"
    return Decoded(data.decode(guessed, errors="replace"), guessed,
                   f"not valid {label}; decoded as {guessed} (guessed by charset-normalizer)")


class LineDecoder:
    """Decode a line-oriented binary stream one line at a time.

    UTF-8 is tried per line; the first line that fails fixes a fallback encoding, guessed once
    from the file's first megabyte, so that one odd line does not change the whole file.
    """

    def __init__(self, sample: bytes) -> None:
        self.sample = sample
        self.fallback: str | None = None
        self.warning: str | None = None

    def decode(self, line: bytes) -> tuple[str, str | None]:
        try:
            return line.decode("utf-8"), None
        except UnicodeDecodeError:
            pass
        if self.fallback is None:
            self.fallback = _guess(self.sample) or _guess(line) or "cp1252"
            if self.fallback.replace("_", "-") in _UTF8_NAMES:
                self.fallback = "cp1252"
            self.warning = f"not valid UTF-8; decoded as {self.fallback} (guessed by charset-normalizer)"
        return line.decode(self.fallback, errors="replace"), self.warning


def iter_lines(stream: BinaryIO, max_line_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number from 1, bytes) for each line; None for a line longer than the limit
    (whose rest is skipped without holding it in memory)."""
    number = 0
    while True:
        line = stream.readline(max_line_bytes + 1)
        if not line:
            return
        number += 1
        if len(line) > max_line_bytes and not line.endswith(b"\n"):
            while True:  # drain the rest of the over-long line
                rest = stream.readline(1 << 20)
                if not rest or rest.endswith(b"\n"):
                    break
            yield number, None
            continue
        yield number, line


class _CountingReader(io.RawIOBase):
    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)


class _LimitedGzip(io.RawIOBase):
    """Gzip decompression that stops with InputRejected past a size or ratio limit."""

    def __init__(self, raw: BinaryIO, max_bytes: int) -> None:
        self.counter = _CountingReader(raw)
        self.gzip = gzip.GzipFile(fileobj=io.BufferedReader(self.counter, 1 << 16), mode="rb")  # type: ignore[type-var]
        self.max_bytes = max_bytes
        self.produced = 0
        self.pending: InputRejected | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        if self.pending is not None:
            raise self.pending
        try:
            data = self.gzip.read1(len(buffer))  # read1: one step, so data before a cut is returned
        except EOFError:
            return self._fail(InputRejected("truncated gzip", "the compressed file ends before its end marker "
                                            "(an interrupted download?); records read before the cut are kept"))
        except (OSError, zlib.error) as exc:
            return self._fail(InputRejected("corrupt gzip", f"{exc}; the records read before the damage are kept"))
        self.produced += len(data)
        if self.produced > self.max_bytes:
            raise InputRejected(
                "decompression limit",
                f"the file expands past {self.max_bytes:,} bytes (a gzip bomb?); if it is genuine, "
                "raise ingest.max_decompressed_bytes in newstrace.toml",
            )
        if self.produced > _RATIO_GRACE_BYTES and self.produced > _MAX_RATIO * max(1, self.counter.count):
            raise InputRejected(
                "decompression limit",
                f"the file expands more than {_MAX_RATIO}:1 ({self.counter.count:,} bytes to over "
                f"{self.produced:,}), which text never does: a gzip bomb",
            )
        buffer[: len(data)] = data
        return len(data)

    def _fail(self, error: InputRejected) -> int:
        """Report end of data once (so buffered readers hand out what came before), then raise."""
        self.pending = error
        return 0

    def tell(self) -> int:
        return self.produced

    def close(self) -> None:
        self.gzip.close()
        super().close()


def open_input(raw: BinaryIO, max_decompressed_bytes: int) -> BinaryIO:
    """A buffered stream of the input's bytes, decompressed (with limits) when it is gzip."""
    # 1 MiB buffers: readers peek at the first megabyte to sniff encodings.
    buffered = io.BufferedReader(raw, 1 << 20)  # type: ignore[arg-type,type-var]
    if buffered.peek(2)[:2] == GZIP_MAGIC:
        return io.BufferedReader(_LimitedGzip(buffered, max_decompressed_bytes), 1 << 20)  # type: ignore[return-value,type-var]
    return buffered  # type: ignore[return-value]
