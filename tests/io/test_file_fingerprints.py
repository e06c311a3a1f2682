"""What a file dataset's fingerprint is made of, from what each filesystem says of a file."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import fsspec
import pytest

from datamill.datasets.json import JSONDataset
from datamill.io._file import _checksum, _stamp

WHEN = datetime(2026, 11, 22, 10, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        (
            {"ETag": '"f1e46f328e6decd56c64dd5e761dc2b7"', "size": 7},
            "ETag:f1e46f328e6decd56c64dd5e761dc2b7",
        ),
        # GCS: its checksums of the content, not its etag (a write's, not a content's)
        (
            {"etag": "CKih16GjzqIDEAE=", "md5Hash": "8bR/Mo5t7NVsZN1edh3Ctw==", "crc32c": "x"},
            "md5Hash:8bR/Mo5t7NVsZN1edh3Ctw==",
        ),
        ({"etag": "CKih16GjzqIDEAE=", "crc32c": "yZRlqg=="}, "crc32c:yZRlqg=="),
        # Azure Blob: an MD5 only when the uploader set one, else nothing but its etag
        (
            {
                "etag": '"0x2306A210A0ABCE0"',
                "content_settings": {"content_md5": bytearray(b"\x01\xab")},
            },
            "content_md5:01ab",
        ),
        ({"etag": '"0x2306A210A0ABCE0"', "content_settings": {"content_md5": None}}, None),
        ({"size": 3, "mtime": 1.5}, None),
    ],
)
def test_the_store_checksum_of_the_content_is_used_when_there_is_one(
    info: dict[str, Any], expected: str | None
) -> None:
    assert _checksum(info) == expected


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        ({"mtime": 1.5, "created": 1.0}, 1.5),
        ({"LastModified": WHEN}, WHEN),
        ({"etag": '"0x2306"', "last_modified": WHEN}, '"0x2306"'),  # Azure: finer than seconds
        ({"last_modified": WHEN}, WHEN),
        ({"created": 1.0}, 1.0),
        ({"size": 3}, None),  # nothing changes with a write: the content is hashed each time
    ],
)
def test_the_stamp_that_keys_a_cached_hash(info: dict[str, Any], expected: object) -> None:
    assert _stamp(info) == expected


def test_without_a_stamp_a_file_is_hashed_each_time() -> None:
    dataset = JSONDataset("memory://fingerprints/no-stamp.json")
    dataset.save([1])
    fs, path = fsspec.url_to_fs(dataset.filepath)
    first = dataset._content_hash(fs, path, {"size": 3})
    with fs.open(path, "wb") as stream:  # rewritten behind its back, at the same size
        stream.write(b"[2]")

    assert dataset._content_hash(fs, path, {"size": 3}) != first
