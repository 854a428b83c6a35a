"""Text files: the encoding (UTF-8, UTF-16, GBK/GB18030, transcoded to UTF-8 in chunks, never whole), the
delimiter, the header, and the file that is not a table at all (HTML, binary, a single blob)."""
from __future__ import annotations
import codecs
import csv
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from .files import CHUNK_BYTES, SNIFF_BYTES, Source, _looks_like_header, _temp_dir, _unique_headers
from .report import ImportReport, _reject


SAMPLE_ROWS = 20_000


@dataclass
class DecodeResult:
    ok: bool
    bad_offset: int            # byte offset of the first undecodable byte (file size when ok)
    utf8_text_before: bool     # complete lines before bad_offset hold non-ASCII text that decoded
    line_feeds: int = 0        # in the UTF-8 text, when ok
    ends_with_line_feed: bool = False


_NON_ASCII = re.compile(rb"[\x80-\xff]")


def _binary_problem(head: bytes) -> tuple[str, dict, int | None]:
    """Why bytes with NULs in them are not a table we read (a message code and its parameters), and the line
    of the first NUL.

    UTF-16 without a byte-order mark has a NUL beside every ASCII character; a text file with a few
    NUL bytes is damaged; anything else is binary.
    """
    pairs = len(head) // 2
    for odd in (1, 0):
        if pairs and head[odd::2].count(0) > 0.4 * pairs and head[1 - odd::2].count(0) < 0.05 * pairs:
            return "utf16_without_bom", {}, None
    nuls = head.count(0)
    if nuls <= 0.1 * len(head) and sum(b >= 32 or b in (9, 10, 13) for b in head) - nuls >= 0.95 * (len(head) - nuls):
        line = head.count(b"\n", 0, head.index(0)) + 1
        return "nul_bytes", {"line": line}, line
    return "binary_file", {}, None


def _gbk_doubt(path: Path) -> tuple[str, dict, int] | None:
    """Why a file that decodes as GBK is probably not GBK (a message code and its parameters), and the line
    that shows it; None when it is.

    Two mistakes decode as GBK without an error: a line of UTF-8 Chinese after GBK lines (two exports
    pasted together), and Western European Latin-1 text, whose accented letters pair up with the next
    letter (``Müller`` reads as ``M黮ler``). Checks the first and the last 4 MB.
    """
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(CHUNK_BYTES)
        tail_start = max(len(head), size - CHUNK_BYTES)
        handle.seek(tail_start)
        tail = handle.read()
    for start, block in ((0, head), (tail_start, tail)):
        lines = block.split(b"\n")
        first = 0 if start == 0 else 1  # the first line of the tail may be cut
        for number, line in enumerate(lines[first:len(lines) - (block is head and size > len(head))], first):
            if line.isascii():
                continue
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if sum("\u4e00" <= ch <= "\u9fff" for ch in text) >= 2:
                where = number + (_line_of_offset(path, start) if start else 1)
                return "mixed_encodings_gbk_first", {"line": where}, where
    text = head.decode("gb18030", errors="replace")
    non_ascii = len(re.sub(r"[\x00-\x7f]+", "", text))
    latin = list(re.finditer(r"[A-Za-z][^\x00-\x7f][A-Za-z]+", text))
    if len(latin) >= 3 and len(latin) >= non_ascii / 2:
        line = text.count("\n", 0, latin[0].start()) + 1
        return "latin1_as_gbk", {"word": latin[0].group(), "line": line}, line
    return None


def _decode_stream(path: Path, encoding: str, out=None, digest=None) -> DecodeResult:
    """Decode the whole file with ``encoding`` in 4 MB chunks, never holding it in memory.

    Writes UTF-8 to ``out`` and feeds ``digest`` when given. ``utf8_text_before`` tells a file
    that mixes encodings (valid non-ASCII lines, then invalid bytes) from one that is simply
    in another encoding: a GBK file is almost never valid UTF-8 for a whole line of Chinese text.
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset, first_non_ascii, last_newline = 0, None, -1
    line_feeds, last_byte = 0, b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            if digest is not None:
                digest.update(chunk)
            try:
                if out is None and encoding == "utf-8" and chunk.isascii() and not decoder.getstate()[0]:
                    text = ""  # ASCII, with no character left open before it: valid UTF-8 as it is
                else:
                    text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad = offset + exc.start
                newline_in_chunk = chunk.rfind(b"\n", 0, exc.start)
                if newline_in_chunk >= 0:
                    last_newline = offset + newline_in_chunk
                if first_non_ascii is None and (match := _NON_ASCII.search(chunk, 0, max(exc.start, 0))):
                    first_non_ascii = offset + match.start()
                before = first_non_ascii is not None and first_non_ascii < last_newline
                return DecodeResult(False, bad, before)
            if first_non_ascii is None and not chunk.isascii():
                first_non_ascii = offset + _NON_ASCII.search(chunk).start()
            newline_in_chunk = chunk.rfind(b"\n")
            if newline_in_chunk >= 0:
                last_newline = offset + newline_in_chunk
            utf8_bytes = chunk if out is None else text.encode("utf-8")
            line_feeds += utf8_bytes.count(b"\n")
            last_byte = utf8_bytes[-1:] or last_byte
            if out is not None:
                out.write(utf8_bytes)
            offset += len(chunk)
        try:
            text = decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return DecodeResult(False, offset, first_non_ascii is not None and first_non_ascii < last_newline)
        if out is not None and text:
            out.write(text.encode("utf-8"))
            line_feeds += text.count("\n")
            last_byte = text.encode("utf-8")[-1:]
    return DecodeResult(True, offset, False, line_feeds, last_byte == b"\n")


def _line_of_offset(path: Path, offset: int) -> int:
    lines, read = 1, 0
    with path.open("rb") as handle:
        while read < offset and (chunk := handle.read(min(CHUNK_BYTES, offset - read))):
            lines += chunk.count(b"\n")
            read += len(chunk)
    return lines


def _open_text(path: Path, report: ImportReport, has_header: bool | None) -> Source:
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    source = Source(path=path, file_format="text")
    digest = hashlib.sha256()
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif b"\x00" in head:
        code, params, nul_line = _binary_problem(head)
        raise _reject(report, "binary_file", code, params, row=nul_line)
    else:
        utf8 = _decode_stream(path, "utf-8", digest=digest)
        encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
        if not utf8.ok:
            encoding = "gb18030"
            utf8_line = _line_of_offset(path, utf8.bad_offset)
            if utf8.bad_offset == path.stat().st_size:  # an incomplete character at the very end
                raise _reject(report, "truncated_file", "truncated_file", {"line": utf8_line}, row=utf8_line)
            if head.startswith(codecs.BOM_UTF8):
                raise _reject(report, "mislabelled_encoding", "mislabelled_encoding", {"line": utf8_line},
                              row=utf8_line)
            if utf8.utf8_text_before:
                raise _reject(report, "mixed_encodings", "mixed_encodings", {"line": utf8_line}, row=utf8_line)
            digest = hashlib.sha256()  # the UTF-8 pass stopped early; the transcoding pass hashes all
    if encoding in ("utf-8", "utf-8-sig"):
        source.text_path = path
        source.lines = utf8.line_feeds + (not utf8.ends_with_line_feed)
    else:
        source.temp_dir = _temp_dir("text")
        source.text_path = source.temp_dir / "utf8.txt"
        with source.text_path.open("wb") as out:
            decoded = _decode_stream(path, encoding, out, digest=digest)
        if not decoded.ok:
            source.close()
            line = _line_of_offset(path, decoded.bad_offset)
            if encoding == "gb18030":
                raise _reject(report, "unknown_encoding", "unknown_encoding", {"utf8_line": utf8_line, "line": line},
                              row=line)
            raise _reject(report, "unknown_encoding", "invalid_text", {"encoding": encoding, "line": line}, row=line)
        source.lines = decoded.line_feeds + (not decoded.ends_with_line_feed)
        if encoding == "gb18030" and (doubt := _gbk_doubt(path)):
            source.close()
            raise _reject(report, "unknown_encoding", doubt[0], doubt[1], row=doubt[2])
    source.sha256 = digest.hexdigest()
    source.encoding = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "utf-16": "UTF-16",
                       "gb18030": "GBK/GB18030"}[encoding]
    with source.text_path.open("r", encoding="utf-8-sig", newline="") as handle:
        sample_text = handle.read(SNIFF_BYTES)
    if len(sample_text) == SNIFF_BYTES and "\n" in sample_text:
        sample_text = sample_text[:sample_text.rindex("\n")]  # the last line may be cut off
    if not sample_text.strip():
        source.close()
        raise _reject(report, "empty_file", "blank_text")
    if problem := _not_a_table(sample_text):
        source.close()
        raise _reject(report, "not_a_table", *problem)
    source.delimiter, first_row = _sniff_dialect(sample_text)
    source.has_header = _looks_like_header(first_row) if has_header is None else has_header
    if source.has_header:
        source.headers = _unique_headers(first_row)
    else:
        source.headers = [str(i + 1) for i in range(len(first_row))]
    return source


def _not_a_table(sample_text: str) -> tuple[str, dict] | None:
    """Why the start of a text file shows it is not a table (a web page, one endless line) as a message code
    and its parameters, or None."""
    if re.match(r"\s*<(!doctype\s+html|html[\s>])", sample_text[:1024], re.IGNORECASE):
        return "web_page", {}
    if len(sample_text) >= SNIFF_BYTES and not re.search(r"[\r\n]", sample_text):
        return "no_line_break", {"kb": SNIFF_BYTES >> 10}
    return None


def _sniff_dialect(sample_text: str) -> tuple[str | None, list[str]]:
    """The delimiter whose field count is most consistent over the sampled records (comma, tab,
    semicolon, pipe, then runs of whitespace), and the first record split with it."""
    lines = [line for line in sample_text.splitlines() if line.strip()][:200]
    best: tuple[float, int, str] | None = None
    for delimiter in (",", "\t", ";", "|"):
        try:
            rows = [row for row in csv.reader(io.StringIO(sample_text, newline=""), delimiter=delimiter) if row][:200]
        except csv.Error:  # a field over 128 KB: not a table split by this delimiter
            continue
        counts = [len(row) for row in rows]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        consistency = counts.count(mode) / len(counts)
        if mode > 1 and consistency >= 0.5 and (best is None or (consistency, mode) > best[:2]):
            best = (consistency, mode, delimiter)
    if best is not None:
        delimiter = best[2]
        return delimiter, next(row for row in csv.reader(io.StringIO(sample_text, newline=""), delimiter=delimiter)
                               if row)
    counts = [len(line.split()) for line in lines]
    mode = max(set(counts), key=counts.count)
    if mode > 1 and counts.count(mode) / len(counts) >= 0.5:
        return " ", lines[0].split()
    return None, [lines[0]]
