"""A private X server (Xvfb) for the Tk tests, and screenshots taken from it.

:func:`start_xvfb` lets Xvfb pick a free display number itself (``-displayfd``),
so parallel runs and a developer's own X server never collide.
:func:`capture_png` reads pixels straight from the X server with libX11 (through
ctypes, already on every machine that runs Tk) and writes a PNG with zlib, so
screenshots need no image tool or Python package beyond the standard library.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import shutil
import struct
import subprocess
import time
import zlib
from dataclasses import dataclass
from pathlib import Path


class XvfbUnavailable(RuntimeError):
    """Xvfb is not installed or would not start; the message says which."""


@dataclass
class Xvfb:
    """A running Xvfb; ``display`` is e.g. ``":3"``. Call :meth:`stop` when done."""

    proc: subprocess.Popen[bytes]
    display: str

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_xvfb(size: str = "1280x800x24", timeout: float = 10.0) -> Xvfb:
    """Start Xvfb on a free display and wait until it accepts clients."""
    binary = shutil.which("Xvfb")
    if binary is None:
        raise XvfbUnavailable("Xvfb is not installed (apt-get install xvfb)")
    read_fd, write_fd = os.pipe()
    try:
        proc = subprocess.Popen(
            [binary, "-displayfd", str(write_fd), "-screen", "0", size, "-nolisten", "tcp"],
            pass_fds=(write_fd,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    finally:
        os.close(write_fd)
    # Xvfb writes the display number once it is ready for clients.
    number = b""
    deadline = time.monotonic() + timeout
    try:
        while not number.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read_fd], [], [], left)[0]:
                proc.kill()
                proc.wait()
                raise XvfbUnavailable(f"Xvfb did not start within {timeout:g} s")
            chunk = os.read(read_fd, 16)
            if not chunk:
                proc.wait()
                raise XvfbUnavailable(f"Xvfb exited with code {proc.returncode}")
            number += chunk
    finally:
        os.close(read_fd)
    return Xvfb(proc, ":" + number.decode().strip())


# -- screenshots -------------------------------------------------------------------

_ZPIXMAP = 2
_ALL_PLANES = ctypes.c_ulong(0xFFFFFFFF)


class _XImage(ctypes.Structure):
    # The leading fields of Xlib's XImage (X11/Xlib.h); the rest is not read.
    _fields_ = (
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("xoffset", ctypes.c_int),
        ("format", ctypes.c_int),
        ("data", ctypes.POINTER(ctypes.c_ubyte)),
        ("byte_order", ctypes.c_int),
        ("bitmap_unit", ctypes.c_int),
        ("bitmap_bit_order", ctypes.c_int),
        ("bitmap_pad", ctypes.c_int),
        ("depth", ctypes.c_int),
        ("bytes_per_line", ctypes.c_int),
        ("bits_per_pixel", ctypes.c_int),
        ("red_mask", ctypes.c_ulong),
        ("green_mask", ctypes.c_ulong),
        ("blue_mask", ctypes.c_ulong),
    )


def capture_png(display: str, path: Path, box: tuple[int, int, int, int]) -> None:
    """Save the screen area ``box`` = (x, y, width, height) of ``display`` as a PNG.

    Only 24/32-bit TrueColor screens are supported (what Xvfb gives with
    ``-screen 0 WxHx24``).
    """
    name = ctypes.util.find_library("X11")
    if name is None:
        raise RuntimeError("libX11 not found")
    xlib = ctypes.CDLL(name)
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = (ctypes.c_char_p,)
    xlib.XDefaultRootWindow.restype = ctypes.c_ulong
    xlib.XDefaultRootWindow.argtypes = (ctypes.c_void_p,)
    xlib.XGetImage.restype = ctypes.POINTER(_XImage)
    xlib.XGetImage.argtypes = (
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_ulong,
        ctypes.c_int,
    )
    xlib.XDestroyImage.argtypes = (ctypes.POINTER(_XImage),)
    xlib.XCloseDisplay.argtypes = (ctypes.c_void_p,)
    x, y, width, height = box
    dpy = xlib.XOpenDisplay(display.encode())
    if not dpy:
        raise RuntimeError(f"cannot open display {display}")
    try:
        root = xlib.XDefaultRootWindow(dpy)
        image_p = xlib.XGetImage(dpy, root, x, y, width, height, _ALL_PLANES, _ZPIXMAP)
        if not image_p:
            raise RuntimeError("XGetImage failed")
        image = image_p.contents
        try:
            if image.bits_per_pixel != 32:
                raise RuntimeError(f"unsupported {image.bits_per_pixel}-bit screen")
            stride = image.bytes_per_line
            raw = ctypes.string_at(image.data, stride * height)
            masks = (image.red_mask, image.green_mask, image.blue_mask)
        finally:
            xlib.XDestroyImage(image_p)
    finally:
        xlib.XCloseDisplay(dpy)
    path.write_bytes(_png(raw, width, height, stride, masks))


def _png(raw: bytes, width: int, height: int, stride: int, masks: tuple[int, ...]) -> bytes:
    """RGB PNG bytes from 32-bit little-endian pixels with the given channel masks."""
    shifts = [(mask & -mask).bit_length() - 1 for mask in masks]
    order = [shift // 8 for shift in shifts]  # byte index of R, G, B in each pixel
    rows = bytearray()
    for row in range(height):
        line = raw[row * stride : row * stride + width * 4]
        rgb = bytearray(width * 3)
        for channel, index in enumerate(order):
            rgb[channel::3] = line[index::4]
        rows += b"\x00" + rgb  # filter type 0 (None) per row

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )
