"""Quantize a diffusion model once, on the creator's machine: stable-diffusion.cpp's own
`convert` writes a GGUF of the chosen weight type, which then loads without converting at
every start.

`convert` has no progress callback and no cancel, so it runs in a process of its own
(`python -m remix_desktop.engine.quantize MODEL OUT TYPE`): its progress is the tensor count
stable-diffusion.cpp prints ("123/610"), and a cancel kills the process. The file is written
beside its target as a partial file and put in place by the caller only once its header is
checked: a cut or cancelled conversion leaves nothing behind.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from ..core.errors import Cancelled

# stable-diffusion.cpp's sd_type_t for the weight types the app offers
WEIGHT_TYPES = {"f16": 1, "q8_0": 8, "q5_0": 6, "q5_1": 7, "q4_0": 2, "q4_1": 3, "q4_k": 12}
_COUNT = re.compile(rb"(\d+)/(\d+)")


class QuantizeCancelled(Cancelled):
    """The creator stopped the conversion; nothing was written."""


def quantize(model: Path, target: Path, weight_type: str, *,
             progress: Callable[[int, int], None] | None = None,
             cancelled: Callable[[], bool] = lambda: False, poll_s: float = 0.1) -> Path:
    """Write `model` as a GGUF of `weight_type` to `target`'s partial file and return that
    partial file (the caller checks it and moves it into place). Raises QuantizeCancelled,
    or RuntimeError with stable-diffusion.cpp's last words when it fails."""
    if weight_type not in WEIGHT_TYPES:
        raise ValueError(f"'{weight_type}' is not a weight type; use one of: "
                         f"{', '.join(WEIGHT_TYPES)}")
    part = target.with_name(target.name + ".part")
    part.unlink(missing_ok=True)
    child = subprocess.Popen(
        [sys.executable, "-m", "remix_desktop.engine.quantize", str(model), str(part),
         weight_type], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True)
    tail = b""
    try:
        os.set_blocking(child.stdout.fileno(), False)
        while True:
            chunk = child.stdout.read() or b""
            tail = (tail + chunk)[-4096:]
            counts = _COUNT.findall(chunk)
            if counts and progress is not None:
                done, total = counts[-1]
                progress(int(done), int(total))
            if cancelled():
                raise QuantizeCancelled()
            if child.poll() is not None and not chunk:
                break
            time.sleep(poll_s)
    except BaseException:
        _kill(child)
        part.unlink(missing_ok=True)
        raise
    if child.returncode != 0 or not part.is_file():
        part.unlink(missing_ok=True)
        last = [line for line in re.split(rb"[\r\n]+", tail) if line.strip()][-1:] or [b""]
        said = last[0].decode("utf-8", "replace").strip()[:200]
        raise RuntimeError(f"stable-diffusion.cpp could not convert it"
                           + (f" ({said})" if said else ""))
    return part


def _kill(child: subprocess.Popen) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (OSError, AttributeError):
        child.kill()
    child.wait()


def main(argv: list[str]) -> int:
    model, out, weight_type = argv
    import stable_diffusion_cpp.stable_diffusion_cpp as sd

    ok = sd.convert(os.fsencode(model), b"", os.fsencode(out), WEIGHT_TYPES[weight_type], b"",
                    True)
    sys.stdout.flush()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
