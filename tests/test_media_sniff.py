"""A file's type comes from its bytes, and its name is safe in a header and on screen."""

from __future__ import annotations

import pytest
from media_helpers import ELF, PDF, png_bytes

from gateway.media.sniff import clean_name, content_disposition, kind_of, sniff

pytestmark = pytest.mark.timeout(10)


@pytest.mark.parametrize(("data", "mime"), [
    (png_bytes(), "image/png"),
    (PDF, "application/pdf"),
    (ELF, "application/x-executable"),
    (b"MZ\x90\x00" + b"\x00" * 60, "application/x-msdownload"),
    ("Grüße, das Team\n\tZeile 2\r\n".encode(), "text/plain"),
    ("ü".encode() * 5000, "text/plain"),  # the 8 KiB sample ends inside a character: still text
    (b"<html><script>alert(1)</script></html>", "text/plain"),  # served as text, never as a page
    (b"plain\x00binary", "application/octet-stream"),
    (b"\xff\xfe\xfa not utf-8 at the start", "application/octet-stream"),
    (b"", "application/octet-stream"),
])
def test_the_bytes_decide_the_type(data, mime):
    assert sniff(data) == mime


def test_kinds_and_names():
    assert [kind_of(m) for m in ("image/webp", "audio/ogg", "video/mp4", "application/pdf")] == [
        "image", "audio", "video", "file"]
    assert clean_name("C:\\Users\\ada\\Desktop\\bill.pdf") == "bill.pdf"
    assert clean_name("../../.bashrc") == "bashrc"
    assert clean_name("evil\r\nSet-Cookie: x.png") == "evilSet-Cookie: x.png"
    assert clean_name("photo\u202egnp.exe") == "photognp.exe"  # no right-to-left override
    assert clean_name("", "image/png", fallback="image") == "image.png"
    assert clean_name("", "application/octet-stream") == "file"
    assert len(clean_name("a" * 1000 + ".pdf")) == 200


def test_content_disposition_is_inline_only_for_raster_images():
    assert content_disposition("image/png", "a.png") == "inline; filename=\"a.png\"; filename*=UTF-8''a.png"
    assert content_disposition("image/svg+xml", "a.svg").startswith("attachment; ")
    assert content_disposition("text/plain", 'say "hi"; now.txt') == (
        "attachment; filename=\"say _hi__ now.txt\"; filename*=UTF-8''say%20%22hi%22%3B%20now.txt")
