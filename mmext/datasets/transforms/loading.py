"""Image loading that names a corrupt file instead of failing on mmcv's assert.

:class:`CheckedLoadImageFromFile` is mmcv's ``LoadImageFromFile`` (same arguments) that
first checks the file: empty (0 bytes), not an image, a PNG or JPEG cut short, more
pixels than PIL's decompression-bomb limit (``PIL.Image.DecompressionBombError``, which
is no ``OSError``), or a file the decoder rejects. With ``on_invalid='error'`` (default)
it raises :class:`~mmext.utils.InputError` naming the file; with ``'warn'`` it logs the
file, counts it and returns ``None``, so that mmengine's dataset (training mode) draws
another sample instead. Registered for both the mmpretrain and mmdet scopes.

16-bit PNG and TIFF files (X-rays, SEM and camera exports) are decoded at full depth and
mapped to uint8 as ``value * 255 / depth_max``, the same with either decode backend.
mmcv alone does not do that: OpenCV keeps the high byte (12-bit data, 0-4095, loads as
0-15, nearly black) and pillow clips every value above 255 (a 16-bit image loads nearly
white). ``tools/analysis_tools/check_data.py`` reports the values a set uses and the
``depth_max`` that spans them.
"""
import io
import logging
from typing import Optional

from mmcv.transforms import LoadImageFromFile
from mmengine import fileio
from mmengine.logging import print_log
from PIL import Image

from mmext.registry import CLS_TRANSFORMS, DET_TRANSFORMS
from mmext.utils import InputError
from mmext.utils.images import decode_16bit, sample_bits


def find_image_problem(img_bytes: bytes) -> Optional[str]:
    """Why ``img_bytes`` is no usable image (header and end checks), or None."""
    if not img_bytes:
        return 'empty file (0 bytes)'
    try:
        with Image.open(io.BytesIO(img_bytes)) as img:  # reads the header only
            fmt = img.format
    except Image.DecompressionBombError as e:
        return f'too many pixels, refused as a decompression bomb ({e})'.splitlines()[0]
    except Exception as e:  # UnidentifiedImageError, SyntaxError of damaged headers
        return f'not a readable image ({type(e).__name__}: {e})'.splitlines()[0]
    if fmt == 'PNG' and img_bytes.rfind(b'IEND') < img_bytes.rfind(b'IDAT'):
        return 'truncated PNG (no IEND chunk after the image data)'
    if fmt == 'JPEG' and img_bytes.find(b'\xff\xd9', img_bytes.rfind(b'\xff\xda')) < 0:
        return 'truncated JPEG (no end-of-image marker after the scan)'
    return None


@CLS_TRANSFORMS.register_module()
@DET_TRANSFORMS.register_module()
class CheckedLoadImageFromFile(LoadImageFromFile):
    """``LoadImageFromFile`` with one clear line (or a skip) for a corrupt image.

    Args:
        on_invalid (str): ``'error'`` raises :class:`InputError` naming the file;
            ``'warn'`` logs it and returns ``None`` (the dataset refetches another
            sample; mmengine allows that in training, not in test mode).
        depth_max (int, optional): for 16-bit images, the value that becomes 255
            (larger values clip). None: 65535, the full 16-bit range. 12-bit data in
            16-bit files: 4095. 8-bit images are not affected.
        **kwargs: the arguments of mmcv's ``LoadImageFromFile``.
    """

    def __init__(self, on_invalid: str = 'error', depth_max: Optional[int] = None,
                 **kwargs):
        if on_invalid not in ('error', 'warn'):
            raise InputError(f"CheckedLoadImageFromFile: on_invalid must be 'error' or "
                             f"'warn', got {on_invalid!r}")
        if depth_max is not None and not (isinstance(depth_max, int)
                                          and 1 <= depth_max <= 65535):
            raise InputError(f'CheckedLoadImageFromFile: depth_max must be an integer in '
                             f'1..65535 (or None), got {depth_max!r}')
        super().__init__(**kwargs)
        self.on_invalid = on_invalid
        self.depth_max = depth_max
        self.skipped = {}  # path -> reason (per dataloader worker)

    def _read(self, filename):
        """``(bytes, None)``, or ``(None, why the file is no usable image)``."""
        try:
            img_bytes = fileio.get(filename, backend_args=self.backend_args)
        except FileNotFoundError:
            return None, 'image file not found'
        except OSError as e:
            return None, f'cannot read ({e})'
        return img_bytes, find_image_problem(img_bytes)

    def _load_16bit(self, results, img_bytes):
        img = decode_16bit(img_bytes, self.color_type, self.depth_max)
        if img is None:
            return None
        if self.to_float32:
            img = img.astype('float32')
        results.update(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2])
        return results

    def transform(self, results: dict) -> Optional[dict]:
        filename = results['img_path']
        img_bytes, problem = self._read(filename)
        if problem is None:
            try:
                if sample_bits(img_bytes) == 16:
                    out = self._load_16bit(results, img_bytes)
                else:
                    out = super().transform(results)
            except Exception as e:  # the decoder failed, or mmcv's assert on None
                problem = f'cannot be decoded ({type(e).__name__}: {e})'.splitlines()[0]
            else:
                if out is not None:
                    return out
                problem = 'cannot be decoded'
        if self.on_invalid == 'error':
            raise InputError(f'{filename}: {problem}')
        self.skipped[filename] = problem
        print_log(f'skipped {filename}: {problem} ({len(self.skipped)} image(s) skipped '
                  'so far)', logger='current', level=logging.WARNING)
        return None

    def __repr__(self):
        return (super().__repr__()[:-1]
                + f", on_invalid='{self.on_invalid}', depth_max={self.depth_max})")
