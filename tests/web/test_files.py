"""The store of shared files without sockets: names, limits, sniffing, thumbnails,
a full disk, a restart, retention, and the headers a file is served with."""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path

import pytest
from PIL import Image

from chatroom.web.files import (
    FILE_CSP,
    NAME,
    FileLimits,
    FileStore,
    UploadRefused,
    file_headers,
    safe_filename,
    sniff,
)

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><script>alert(document.cookie)</script>"


def png(width: int = 800, height: int = 600) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def refused(store: FileStore, account: str, body: bytes) -> int:
    with pytest.raises(UploadRefused) as caught:
        store.save(account, body)
    return caught.value.status


def test_names_are_random_and_not_the_uploaders(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    first = store.save("alice", b"hello", "../../etc/passwd")
    second = store.save("alice", b"hello", "report.txt")
    assert first.name != second.name
    assert NAME.match(first.name) and NAME.match(second.name)
    assert first.filename == "passwd"  # no path survives
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [first.name, first.name + ".json", second.name, second.name + ".json"]
    )
    assert store.read(first.name) == b"hello"
    assert store.get("../" + first.name) is None
    assert store.read("x" * 22) is None


def test_filenames_are_reduced_to_safe_ascii() -> None:
    assert safe_filename('a"b;\r\nc.png') == "abc.png"
    assert safe_filename("été.jpg") == "t.jpg"
    assert safe_filename("...") == "file"


def test_type_is_sniffed_not_trusted(tmp_path: Path) -> None:
    assert sniff(png()[:16]) == "image/png"
    assert sniff(b"RIFF\0\0\0\0WEBPVP8 ") == "image/webp"
    store = FileStore(tmp_path)
    for body, name in ((SVG, "x.svg"), (HTML, "x.html"), (b"\x89PNG but not", "x.png")):
        stored = store.save("mallory", body, name)
        assert stored.content_type in ("application/octet-stream", "image/png")
        headers = file_headers(stored)
        if stored.content_type == "application/octet-stream":
            assert headers["Content-Disposition"].startswith("attachment;")
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in headers["Content-Security-Policy"]
        assert headers["Content-Security-Policy"] == FILE_CSP
        assert "script-src" not in FILE_CSP  # default-src 'none' covers scripts


def test_images_get_a_small_thumbnail(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    stored = store.save("alice", png(), "shot.png")
    assert stored.content_type == "image/png" and stored.thumbnail
    thumb = store.read(stored.name, thumbnail=True)
    assert thumb is not None
    with Image.open(io.BytesIO(thumb)) as image:
        assert max(image.size) == 320
    assert file_headers(stored, thumbnail=True)["Content-Disposition"].startswith("inline;")
    broken = store.save("alice", b"\x89PNG\r\n\x1a\n" + b"junk" * 10)
    assert broken.content_type == "image/png" and not broken.thumbnail


def test_size_quota_and_rate(tmp_path: Path) -> None:
    clock = Clock()
    store = FileStore(tmp_path, FileLimits(max_size=100, quota=250, per_minute=3), clock)
    assert refused(store, "alice", b"x" * 101) == 413
    store.save("alice", b"x" * 100)
    store.save("alice", b"x" * 100)
    assert refused(store, "alice", b"x" * 51) == 413  # the quota
    store.save("bob", b"x")
    store.save("bob", b"x")
    store.save("bob", b"x")
    assert refused(store, "bob", b"x") == 429  # the rate
    clock.now += 61
    store.save("bob", b"x")
    assert store.usage("alice") == 200 and store.usage("bob") == 4


def test_a_full_disk_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FileStore(tmp_path)
    real = os.replace
    calls = []

    def full(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) == 2:  # the file went in, its description does not
            raise OSError(errno.ENOSPC, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(os, "replace", full)
    assert refused(store, "alice", b"data") == 507
    assert list(tmp_path.iterdir()) == []
    assert store.usage("alice") == 0


def test_usage_survives_a_restart_and_stale_temporaries_go(tmp_path: Path) -> None:
    store = FileStore(tmp_path, FileLimits(quota=10))
    kept = store.save("alice", b"x" * 8)
    (tmp_path / ".tmp-deadbeef").write_bytes(b"half")
    again = FileStore(tmp_path, FileLimits(quota=10))
    assert again.usage("alice") == 8
    assert refused(again, "alice", b"xxx") == 413
    assert again.read(kept.name) == b"x" * 8
    assert not (tmp_path / ".tmp-deadbeef").exists()


def test_retention_removes_old_files(tmp_path: Path) -> None:
    clock = Clock()
    store = FileStore(tmp_path, clock=clock)
    old = store.save("alice", png(), "old.png")
    clock.now += 3600
    new = store.save("alice", b"new")
    assert store.expire(1800) == 1
    assert store.get(old.name) is None and store.read(old.name, thumbnail=True) is None
    assert store.read(new.name) == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == [new.name, new.name + ".json"]
    assert store.usage("alice") == 3
