"""Input file helpers: re-encode a text file (e.g. a GB18030 or GBK export) to UTF-8.

DuckDB's CSV reader reads UTF-8 (with or without BOM), UTF-16 and latin-1 only. Convert other
encodings first:

    python -m customer_tiering.inputs to-utf8 --encoding gb18030 SOURCE TARGET
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

CHUNK_SIZE = 1 << 20
BOM = "\ufeff"


def to_utf8(source: Path, target: Path, encoding: str, *, chunk_size: int = CHUNK_SIZE) -> Path:
    """Stream `source`, encoded in `encoding`, into `target` as UTF-8 without BOM.

    Memory stays bounded by `chunk_size`. Bytes and line endings are otherwise kept as they
    are; a leading BOM is dropped. The target is written to a temporary file next to it and
    moved into place only when the whole source decoded, so a failure leaves no partial target.

    Raises ValueError naming the encoding when it is unknown, or naming the file, the encoding
    and the 0-based byte offset when the bytes are not valid in that encoding.
    """
    try:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    except LookupError:
        raise ValueError(f"unknown encoding {encoding!r}") from None
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be positive, not {chunk_size}")
    source, target = Path(source), Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        with open(source, "rb") as reader, open(partial, "wb") as writer:
            read = 0
            at_start = True
            while True:
                chunk = reader.read(chunk_size)
                read += len(chunk)
                try:
                    text = decoder.decode(chunk, final=not chunk)
                except UnicodeDecodeError as error:
                    # error.object is the tail of the bytes read so far (the decoder's pending
                    # bytes and this chunk), so its start sits at read - len(error.object).
                    offset = max(0, read - len(error.object)) + error.start
                    raise ValueError(
                        f"{source}: bytes not valid in encoding {encoding!r} at byte offset "
                        f"{offset} ({error.reason})"
                    ) from None
                if at_start and text:
                    text = text.removeprefix(BOM)
                    at_start = False
                writer.write(text.encode("utf-8"))
                if not chunk:
                    break
        os.replace(partial, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)
        raise
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m customer_tiering.inputs", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    convert = commands.add_parser(
        "to-utf8", help="re-encode a text file to UTF-8 without BOM (streamed)"
    )
    convert.add_argument(
        "--encoding", required=True, help="encoding of SOURCE, e.g. gb18030, gbk, utf-8-sig"
    )
    convert.add_argument("source", type=Path, metavar="SOURCE")
    convert.add_argument("target", type=Path, metavar="TARGET")
    args = parser.parse_args(argv)
    try:
        target = to_utf8(args.source, args.target, args.encoding)
    except (ValueError, OSError) as error:
        print(f"to-utf8: {error}", file=sys.stderr)
        return 1
    print(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
