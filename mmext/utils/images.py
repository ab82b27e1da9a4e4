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
