#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The HTML report in a real browser: a fake-backend run's report.html, screenshot by headless
Chromium, must be a real picture (not blank, not one colour) in which the charts were drawn (the
backends' chart colours are present). Standard library only: the PNG is decoded with zlib.

    html_screenshot_test.py SANDBENCH_BINARY FIXTURES_DIR

Exit codes: 0 pass, 1 fail, 77 skipped (chromium is not installed; scripts/setup.sh installs
it). Set SANDBENCH_KEEP_SCREENSHOT=DIR to keep report.html and the screenshot for a look.
"""

import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

SKIP = 77

# Okabe-Ito colours of the first three backends in report.html (svg.cpp, backend_colour).
BACKEND_COLOURS = {"#0072B2": (0, 114, 178), "#E69F00": (230, 159, 0),
                   "#009E73": (0, 158, 115)}


def fail(message):
    print(f"FAIL: {message}")
    return 1


def decode_png(data):
    """Width, height, channels and the unfiltered rows of an 8-bit RGB or RGBA PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    offset, idat, header = 8, [], None
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        offset += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    width, height, depth, colour_type, _, _, interlace = header
    if depth != 8 or colour_type not in (2, 6) or interlace != 0:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour_type}")
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        row = bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:  # Sub
            for i in range(channels, stride):
                row[i] = (row[i] + row[i - channels]) & 0xFF
        elif kind == 2:  # Up
            row = bytearray((a + b) & 0xFF for a, b in zip(row, previous))
        elif kind == 3:  # Average
            for i in range(stride):
                left = row[i - channels] if i >= channels else 0
                row[i] = (row[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:  # Paeth
            for i in range(stride):
                a = row[i - channels] if i >= channels else 0
                b = previous[i]
                c = previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                row[i] = (row[i] + predictor) & 0xFF
        elif kind != 0:
            raise ValueError(f"unknown PNG filter {kind} in row {y}")
        rows.append(row)
        previous = row
    return width, height, channels, rows


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    sandbench, fixtures = sys.argv[1], sys.argv[2]
    chromium = next((shutil.which(name) for name in ("chromium", "chromium-browser")
                     if shutil.which(name)), None)
    if chromium is None:
        print("SKIP: chromium is not installed (scripts/setup.sh installs it); the HTML report "
              "was not checked in a browser")
        return SKIP

    with tempfile.TemporaryDirectory(prefix="sandbench-screenshot-") as tmp:
        run_dir = os.path.join(tmp, "run")
        workloads = ",".join(os.path.join(fixtures, "workloads", name)
                             for name in ("fake_greeting.py", "fake_compute.py"))
        run = subprocess.run(
            [sandbench, "--config", os.path.join(fixtures, "report_backends.toml"), "-q", "run",
             "--backend", "fake,fake-slow,fake-emulated", "--workload", workloads,
             "--iterations", "10", "--warmup", "1", "--out", run_dir],
            capture_output=True, text=True, timeout=240)
        if run.returncode != 0:
            return fail(f"sandbench run exited {run.returncode}: {run.stderr}")
        report = os.path.join(run_dir, "report.html")
        if not os.path.isfile(report):
            return fail("the run wrote no report.html")

        screenshot = os.path.join(tmp, "out.png")
        profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=tmp)
        shot = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", f"--user-data-dir={profile}", f"--screenshot={screenshot}",
             "--window-size=1400,3000", "file://" + report],
            capture_output=True, text=True, timeout=120, cwd=tmp)
        if not os.path.isfile(screenshot):
            return fail(f"chromium wrote no screenshot (exit {shot.returncode}): "
                        f"{shot.stderr[-2000:]}")
        keep = os.environ.get("SANDBENCH_KEEP_SCREENSHOT")
        if keep:
            os.makedirs(keep, exist_ok=True)
            shutil.copy(screenshot, os.path.join(keep, "report.png"))
            shutil.copy(report, os.path.join(keep, "report.html"))

        size = os.path.getsize(screenshot)
        if size < 30_000:
            return fail(f"the screenshot is only {size} bytes: the page looks empty")
        with open(screenshot, "rb") as handle:
            width, height, channels, rows = decode_png(handle.read())
        if (width, height) != (1400, 3000):
            return fail(f"the screenshot is {width}x{height}, not 1400x3000")

        colours, background, total = set(), rows[0][:3], 0
        not_background, found = 0, set()
        for y in range(0, height, 3):
            row = rows[y]
            for x in range(0, width * channels, channels * 3):
                pixel = tuple(row[x:x + 3])
                colours.add(pixel)
                total += 1
                if pixel != tuple(background):
                    not_background += 1
                for name, rgb in BACKEND_COLOURS.items():
                    if all(abs(p - q) <= 6 for p, q in zip(pixel, rgb)):
                        found.add(name)
        share = not_background / total
        print(f"screenshot {width}x{height}, {size} bytes, {len(colours)} colours, "
              f"{share:.0%} not background, backend colours found: {sorted(found)}")
        if len(colours) < 50:
            return fail(f"only {len(colours)} distinct colours: the page did not render")
        if share < 0.05:
            return fail("almost everything is background: the page did not render")
        if len(found) < 3:
            return fail(f"the charts' backend colours are missing (found {sorted(found)})")
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
