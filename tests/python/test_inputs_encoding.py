"""Re-encoding input files to UTF-8 before DuckDB reads them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from customer_tiering.inputs import to_utf8

PROJECT = Path(__file__).resolve().parents[2]
CSV_TEXT = (
    "transaction_id,customer_id,transaction_date,amount,note\r\n"
    "T1,C1,2026-01-02,12.50,北京朝阳区 客户\r\n"
    "T2,C2,2026-01-03,8.00,上海浦东新区\uff08测试\uff09\r\n"
    "T3,C3,2026-01-04,3.10,廣州 € 𠀀\r\n"
)
GBK_TEXT = CSV_TEXT.replace(" € 𠀀", "")  # GBK has neither the euro sign nor CJK extension B


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 1 << 20])
def test_gb18030_to_utf8(tmp_path: Path, chunk_size: int) -> None:
    """Chunk boundaries falling inside 2- and 4-byte sequences do not matter."""
    source = _write(tmp_path / "gb18030.csv", CSV_TEXT.encode("gb18030"))
    target = tmp_path / "utf8.csv"
    assert to_utf8(source, target, "gb18030", chunk_size=chunk_size) == target
    assert target.read_bytes() == CSV_TEXT.encode("utf-8")


def test_gbk_to_utf8(tmp_path: Path) -> None:
    source = _write(tmp_path / "gbk.csv", GBK_TEXT.encode("gbk"))
    target = to_utf8(source, tmp_path / "out" / "deeper" / "utf8.csv", "GBK", chunk_size=5)
    assert target.read_bytes() == GBK_TEXT.encode("utf-8")


def test_utf8_sig_drops_the_bom(tmp_path: Path) -> None:
    source = _write(tmp_path / "bom.csv", CSV_TEXT.encode("utf-8-sig"))
    target = to_utf8(source, tmp_path / "utf8.csv", "utf-8-sig", chunk_size=2)
    assert target.read_bytes() == CSV_TEXT.encode("utf-8")


def test_a_gb18030_bom_is_dropped_too(tmp_path: Path) -> None:
    source = _write(tmp_path / "bom.csv", ("\ufeff" + CSV_TEXT).encode("gb18030"))
    target = to_utf8(source, tmp_path / "utf8.csv", "gb18030")
    assert target.read_bytes() == CSV_TEXT.encode("utf-8")


def test_empty_file(tmp_path: Path) -> None:
    target = to_utf8(_write(tmp_path / "empty.csv", b""), tmp_path / "utf8.csv", "gb18030")
    assert target.read_bytes() == b""


@pytest.mark.parametrize("chunk_size", [1, 4, 1 << 20])
def test_invalid_bytes_name_file_encoding_and_offset(tmp_path: Path, chunk_size: int) -> None:
    good = "编号,金额\n".encode("gb18030")
    source = _write(tmp_path / "bad.csv", good + b"\x81\x20tail\n")
    target = tmp_path / "utf8.csv"
    with pytest.raises(ValueError) as raised:
        to_utf8(source, target, "gb18030", chunk_size=chunk_size)
    message = str(raised.value)
    assert str(source) in message
    assert "'gb18030'" in message
    assert f"byte offset {len(good)} " in message
    assert not target.exists()
    assert list(tmp_path.iterdir()) == [source]


def test_truncated_sequence_at_the_end(tmp_path: Path) -> None:
    good = "客户".encode("gbk")
    source = _write(tmp_path / "cut.csv", good + "户".encode("gbk")[:1])
    with pytest.raises(ValueError, match=f"byte offset {len(good)} "):
        to_utf8(source, tmp_path / "utf8.csv", "gbk", chunk_size=3)


def test_unknown_encoding(tmp_path: Path) -> None:
    source = _write(tmp_path / "a.csv", b"a\n")
    with pytest.raises(ValueError, match="unknown encoding 'gb9999'"):
        to_utf8(source, tmp_path / "utf8.csv", "gb9999")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "customer_tiering.inputs", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_cli_end_to_end(tmp_path: Path) -> None:
    source = _write(tmp_path / "gb18030.csv", CSV_TEXT.encode("gb18030"))
    target = tmp_path / "new" / "folder" / "utf8.csv"
    result = _cli("to-utf8", "--encoding", "gb18030", str(source), str(target))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{target}\n"
    assert target.read_bytes() == CSV_TEXT.encode("utf-8")


@pytest.mark.parametrize(
    ("encoding", "content", "expected"),
    [
        ("gb18030", b"ok\n\x81\x20", "at byte offset 3 "),
        ("no-such-codec", b"ok\n", "unknown encoding 'no-such-codec'"),
        ("gbk", None, "No such file or directory"),
    ],
)
def test_cli_errors_are_one_line(
    tmp_path: Path, encoding: str, content: bytes | None, expected: str
) -> None:
    source = tmp_path / "source.csv"
    if content is not None:
        source.write_bytes(content)
    result = _cli("to-utf8", "--encoding", encoding, str(source), str(tmp_path / "utf8.csv"))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
