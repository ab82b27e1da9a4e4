"""Decode and hash every image file once: bad files, real sizes, duplicate content."""
import hashlib
import io
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Tuple

from PIL import Image
from tqdm import tqdm

from mmext.utils.images import sample_bits


@dataclass
class ImageScan:
    """What reading one image file found: its size (w, h), content hash, or an error;
    for 16-bit files (``bits``) the largest colour value (``max_value``)."""
    path: str
    size: Optional[Tuple[int, int]] = None
    sha1: Optional[str] = None
    error: Optional[str] = None
    bits: int = 8
    max_value: Optional[int] = None


def _max_value(data: bytes) -> Optional[int]:
    """Largest colour sample of an image file at its own depth (alpha left out)."""
    import cv2
    import numpy as np
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if img is None:
        return None
    return int((img[..., :3] if img.ndim == 3 else img).max())


def scan_image(path: str) -> ImageScan:
    """Read ``path``, hash its bytes and decode every pixel (PIL ``load()``).

    A missing, zero-size, truncated or otherwise undecodable file gives ``error``; a
    16-bit file is decoded at full depth once more (OpenCV) for its largest value.
    """
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as exc:
        return ImageScan(path, error=f'unreadable ({exc.strerror or type(exc).__name__})')
    if not data:
        return ImageScan(path, error='zero-size file')
    sha1 = hashlib.sha1(data).hexdigest()
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()  # decodes all pixels: truncated data raises here
            size = img.size
    except Exception as exc:  # PIL raises OSError, SyntaxError, ValueError... per format
        return ImageScan(path, sha1=sha1, error=f'cannot decode ({type(exc).__name__}: {exc})')
    bits = sample_bits(data)
    return ImageScan(path, size=size, sha1=sha1, bits=bits,
                     max_value=_max_value(data) if bits == 16 else None)


def scan_images(paths: Iterable[str], workers: int = 4, desc: str = 'decoding images'
                ) -> Dict[str, ImageScan]:
    """Scan each distinct path once (threads: decoding and hashing release the GIL),
    with a tqdm progress bar on stderr; return ``{path: ImageScan}``."""
    paths = list(dict.fromkeys(paths))
    with ThreadPoolExecutor(max(1, workers)) as pool:
        scans = list(tqdm(pool.map(scan_image, paths), total=len(paths), desc=desc,
                          unit='img', leave=False, disable=None))
    return {scan.path: scan for scan in scans}


def find_duplicates(split_paths: Dict[str, List[str]], scans: Dict[str, ImageScan]):
    """Identical file contents, by hash.

    Args:
        split_paths: the image paths of each split.
        scans: :func:`scan_images` results of those paths.

    Returns:
        tuple: ``(leaks, within)``: ``leaks`` lists ``{'sha1', 'a': [split, path],
        'b': [split, path]}`` for each pair of identical files in two different splits;
        ``within`` maps a split to its groups (lists of paths) of identical files.
    """
    by_hash = defaultdict(list)
    for split, paths in split_paths.items():
        for path in paths:
            sha1 = scans[path].sha1
            if sha1 is not None:
                by_hash[sha1].append((split, path))
    leaks, within = [], defaultdict(list)
    for sha1, members in by_hash.items():
        if len(members) < 2:
            continue
        per_split = defaultdict(list)
        for split, path in members:
            per_split[split].append(path)
        for split, paths in per_split.items():
            if len(paths) > 1:
                within[split].append(sorted(paths))
        for i, (split_a, path_a) in enumerate(members):
            for split_b, path_b in members[i + 1:]:
                if split_a != split_b:
                    leaks.append(dict(sha1=sha1, a=[split_a, path_a], b=[split_b, path_b]))
    return leaks, dict(within)

