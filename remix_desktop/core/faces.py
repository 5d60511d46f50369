"""Faces in a frame: OpenCV's frontal-face Haar cascade, loaded once and shared by every
thread. The remix panel marks frames that show a face and a preview of one carries the
likeness warning; the likeness rule (a video that shows a face is remixed only when the
creator allows it one by one) will ask this module too."""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

CASCADE_NAME = "haarcascade_frontalface_default.xml"
CASCADE_ENV = "REMIX_DESKTOP_FACE_CASCADE"  # a path to the cascade file, if installed elsewhere
_SYSTEM_CASCADE_DIRS = ("/usr/share/opencv4/haarcascades", "/usr/local/share/opencv4/haarcascades")
DETECT_SIDE = 320  # faces are looked for at this longest side, in pixels
MIN_NEIGHBOURS = 5  # overlapping detections a face needs
SURVEY_SCALE = 1.2  # the step between face sizes tried when a whole video is looked at

_CASCADE_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _face_cascade():
    """(the loaded classifier or None, what was loaded or why nothing was); loaded once."""
    if not hasattr(cv2, "CascadeClassifier"):
        return None, (f"OpenCV {cv2.__version__} has no CascadeClassifier "
                      "(Haar cascades live in opencv-contrib from OpenCV 5)")
    bundled = getattr(getattr(cv2, "data", None), "haarcascades", "")  # opencv-python 4.x
    places = [os.environ.get(CASCADE_ENV, ""), *([Path(bundled) / CASCADE_NAME] if bundled
              else []), *sorted(Path(cv2.__file__).parent.rglob(CASCADE_NAME)),
              *(Path(folder) / CASCADE_NAME for folder in _SYSTEM_CASCADE_DIRS)]
    for path in map(Path, filter(None, places)):
        if path.is_file():
            classifier = cv2.CascadeClassifier(str(path))
            if not classifier.empty():
                return classifier, str(path)
    return None, f"{CASCADE_NAME} is not installed with OpenCV {cv2.__version__}"


def face_detector() -> tuple[bool, str]:
    """Whether faces can be found here, and the cascade file used or the reason not."""
    classifier, detail = _face_cascade()
    return classifier is not None, detail


def detect_faces(pixels: np.ndarray, *, survey: bool = False) -> list[tuple[int, int, int, int]]:
    """Frontal faces as (x, y, w, h) in `pixels` (RGB), largest first; [] when none are
    found or no face detector is installed (see `face_detector`). `survey`: one of many
    frames of a video being looked at, searched at coarser steps of size (SURVEY_SCALE:
    about twice as fast; the portrait in the tests is found either way)."""
    classifier, _ = _face_cascade()
    if classifier is None:
        return []
    # a small grey picture (fast enough), its contrast evened out tile by tile: a global
    # histogram equalization made the compression noise round a bright shape on black pass
    # for a face, which this does not (and a dim face is still found)
    grey = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(_small_grey(pixels))
    scale = grey.shape[0] / pixels.shape[0]
    with _CASCADE_LOCK:  # one classifier, shared by every thread
        found = classifier.detectMultiScale(grey, scaleFactor=SURVEY_SCALE if survey else 1.1,
                                            minNeighbors=MIN_NEIGHBOURS,
                                            minSize=(24, 24))
    boxes = [tuple(round(v / scale) for v in box) for box in np.asarray(found).reshape(-1, 4)]
    return sorted(boxes, key=lambda b: (-b[2] * b[3], b[0], b[1]))  # type: ignore[misc]


def has_face(pixels: np.ndarray) -> bool:
    return bool(detect_faces(pixels))


def _small_grey(pixels: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY) if pixels.ndim == 3 else pixels
    h, w = grey.shape[:2]
    scale = DETECT_SIDE / max(h, w)
    if scale >= 1:
        return grey
    return cv2.resize(grey, (max(1, round(w * scale)), max(1, round(h * scale))),
                      interpolation=cv2.INTER_AREA)
