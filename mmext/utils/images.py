"""Image files: the extensions mmext reads and a folder's images as COCO ``images``."""
import os
import os.path as osp
from typing import List

from .errors import InputError

# what cv2/PIL decode and the datasets meet: mmpretrain's set plus TIFF (SEM micrographs)
IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff')


def folder_images(img_dir: str) -> List[dict]:
    """COCO ``images`` of a folder: sorted by file name, ids 1…N, sizes read from the headers.

    Raises :class:`InputError` naming the folder (missing, no images) or the unreadable file.
    """
    from PIL import Image
    if not osp.isdir(img_dir):
        raise InputError(f'{img_dir}: image folder not found')
    names = sorted(n for n in os.listdir(img_dir) if n.lower().endswith(IMG_EXTENSIONS))
    if not names:
        raise InputError(f'{img_dir}: no images ({", ".join(IMG_EXTENSIONS)})')
    images = []
    for img_id, name in enumerate(names, start=1):
        path = osp.join(img_dir, name)
        try:
            with Image.open(path) as img:  # reads the header only
                width, height = img.size
        except (OSError, Image.DecompressionBombError) as e:
            raise InputError(f'{path}: not a readable image ({e})') from None
        images.append(dict(id=img_id, file_name=name, height=height, width=width))
    return images


PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


def sample_bits(img_bytes: bytes) -> int:
    """Bits per channel sample of an image file, from its header: 16 for 16-bit PNG and
    TIFF (greyscale or colour), the PNG's own depth (1-16), else 8."""
    if img_bytes[:8] == PNG_SIGNATURE and img_bytes[12:16] == b'IHDR' and len(img_bytes) > 24:
        return img_bytes[24]
    if img_bytes[:4] in (b'II*\x00', b'MM\x00*'):  # TIFF: PIL names 16-bit modes 'I;16*'
        import io

        from PIL import Image
        try:
            with Image.open(io.BytesIO(img_bytes)) as img:
                if img.mode.startswith('I;16'):
                    return 16
                return 16 if 16 in (img.tag_v2.get(258) or (8, )) else 8  # BitsPerSample
        except Exception:
            return 8  # not decodable: the caller's decoder says why
    return 8


def decode_16bit(img_bytes: bytes, color_type: str = 'color', depth_max=None):
    """A 16-bit image file as uint8, ``value * 255 / depth_max`` rounded and clipped.

    ``depth_max=None`` takes the full 16-bit range (65535 -> 255, as OpenCV's 8-bit decode
    does); 12-bit data stored in 16-bit files wants 4095. Channels follow mmcv's
    ``color_type``: ``'color*'`` 3-channel BGR (grey expanded, alpha dropped),
    ``'grayscale*'`` 2-D, ``'unchanged'`` as stored. Returns None if OpenCV cannot decode it.
    """
    import cv2
    import numpy as np
    img = cv2.imdecode(np.frombuffer(img_bytes, np.uint8), cv2.IMREAD_UNCHANGED)
    if img is None:
        return None
    if depth_max:
        top = float(depth_max)
    elif img.dtype.kind in 'ui':
        top = float(np.iinfo(img.dtype).max)
    else:
        top = 1.0  # floating-point samples: 0..1
    img = np.clip(img.astype(np.float32) * (255.0 / top) + 0.5, 0, 255).astype(np.uint8)
    channels = 1 if img.ndim == 2 else img.shape[2]
    if color_type.startswith('color') and channels != 3:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR if channels == 1 else cv2.COLOR_BGRA2BGR)
    elif color_type.startswith('grayscale') and channels != 1:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY if channels == 3 else cv2.COLOR_BGRA2GRAY)
    return img


def loader_depth_max(pipeline):
    """``depth_max`` of a pipeline's image loader (config dicts or built transforms), or
    None when the loader has none (8-bit data, or 16-bit over the full range)."""
    for t in pipeline or []:
        name = t.get('type', '') if isinstance(t, dict) else type(t).__name__
        if str(name).endswith('LoadImageFromFile'):
            return t.get('depth_max') if isinstance(t, dict) else getattr(t, 'depth_max', None)
    return None


def config_depth_max(cfg):
    """The test dataset's loader ``depth_max``, so report figures show 16-bit images as
    the model saw them (None for a wrapped dataset or a loader without one)."""
    dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
    return loader_depth_max(dataset.get('pipeline'))


def read_display_image(path: str, depth_max=None):
    """An image file as 3-channel BGR uint8 for figures (a 16-bit one mapped through
    ``depth_max`` as :class:`CheckedLoadImageFromFile` does), or None if unreadable."""
    try:
        with open(path, 'rb') as f:
            img_bytes = f.read()
    except OSError:
        return None
    if sample_bits(img_bytes) == 16:
        return decode_16bit(img_bytes, 'color', depth_max)
    import mmcv
    try:
        return mmcv.imfrombytes(img_bytes, flag='color')
    except Exception:
        return None
