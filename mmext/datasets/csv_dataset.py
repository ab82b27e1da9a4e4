"""Classification dataset annotated by one metadata CSV plus a split folder.

The UHCSDB micrograph layout: one ``metadata.csv`` describes every image (a path column,
a label column, and free-form columns such as ``magnification``), and a split is the set
of image files copied into a folder (``data_root/train``, ``data_root/val``, ...). The
dataset takes the CSV rows whose file lies in its split folder.

Images are read by the pipeline (``LoadImageFromFile``): with its default
``color_type='color'`` both decode backends (cv2, pillow) expand palette ('P') and
grayscale ('L') PNGs to 3-channel BGR with the palette colours applied, and the model's
data preprocessor (``to_rgb=True``) turns that into RGB. Keep ``color_type='color'``.
"""
import csv
import os
import os.path as osp
from typing import Optional, Sequence

from mmpretrain.datasets import BaseDataset

from mmext.registry import CLS_DATASETS
from mmext.utils import InputError
from mmext.utils.csv_text import open_utf8_csv

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff')
_RESERVED_KEYS = ('img_path', 'gt_label', 'sample_idx')


@CLS_DATASETS.register_module()
class CSVDataset(BaseDataset):
    """Single-label dataset from a metadata CSV and a split folder.

    Args:
        ann_file (str): The metadata CSV (relative to ``data_root``).
        data_root (str): Root folder of ``ann_file`` and ``data_prefix``.
        data_prefix (str | dict): The split folder holding this split's images
            (e.g. ``'train'``). Only CSV rows whose file is in it are taken.
        path_column (str): Column with the image file name (relative to the split
            folder). Defaults to ``'path'``.
        label_column (str): Column with the class name.
            Defaults to ``'primary_microconstituent'``.
        split_by_folder (bool): If True (default), take the rows whose file is in the
            split folder, and reject images there without a CSV row. If False, take
            every row and require its image to exist under ``data_prefix``.
        metainfo (dict, optional): ``dict(classes=(...))`` fixes the class list and
            order; without it the classes are the sorted labels of the whole CSV,
            so every split of one CSV gets the same class indices.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.BaseDataset`.

    Each sample's info holds ``img_path``, ``gt_label`` and every other CSV column
    under its own name (an empty cell becomes ``None``).

    Raises:
        InputError: one line naming the CSV line or file, for a missing column, a
            duplicate path, an empty label cell, an unknown label (when classes are
            given), a missing image, an image without CSV row, or an empty split.
    """

    def __init__(self,
                 ann_file: str,
                 data_root: str = '',
                 data_prefix: str = '',
                 path_column: str = 'path',
                 label_column: str = 'primary_microconstituent',
                 split_by_folder: bool = True,
                 metainfo: Optional[dict] = None,
                 extensions: Sequence[str] = IMG_EXTENSIONS,
                 lazy_init: bool = False,
                 **kwargs):
        self.path_column = path_column
        self.label_column = label_column
        self.split_by_folder = split_by_folder
        self.extensions = tuple(e.lower() for e in extensions)
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=data_prefix,
            metainfo=metainfo,
            lazy_init=True,
            **kwargs)
        if not lazy_init:
            self.full_init()

    def _read_rows(self):
        """Parse the CSV into ``[(line_no, row_dict)]``; check columns and duplicates."""
        csv_path = self.ann_file
        if not osp.isfile(csv_path):
            raise InputError(f'{csv_path}: annotation CSV not found')
        with open_utf8_csv(csv_path) as f:
            reader = csv.DictReader(f)
            columns = reader.fieldnames or []
            for column in (self.path_column, self.label_column):
                if column not in columns:
                    raise InputError(f'{csv_path}: missing column {column!r} '
                                     f'(columns: {", ".join(columns) or "none"})')
            for column in columns:
                if column in _RESERVED_KEYS and column not in (self.path_column,
                                                               self.label_column):
                    raise InputError(f'{csv_path}: column name {column!r} is reserved '
                                     'for the sample info; rename it')
            rows, first_line = [], {}
            for row in reader:
                line = reader.line_num
                path = (row.get(self.path_column) or '').strip()
                if not path:
                    raise InputError(f'{csv_path} line {line}: empty {self.path_column!r} cell')
                key = osp.normpath(path)
                if key in first_line:
                    raise InputError(f'{csv_path} line {line}: duplicate path {path!r} '
                                     f'(first at line {first_line[key]})')
                first_line[key] = line
                rows.append((line, row))
        return rows

    def _files_in_split(self):
        folder = self.img_prefix
        if not osp.isdir(folder):
            raise InputError(f'{folder}: split folder not found')
        files = set()
        for dirpath, _, names in os.walk(folder):
            for name in names:
                if name.lower().endswith(self.extensions):
                    files.add(osp.normpath(osp.relpath(osp.join(dirpath, name), folder)))
        return files

    def load_data_list(self):
        csv_path = self.ann_file
        rows = self._read_rows()
        classes = self._metainfo.get('classes')
        if classes is None:
            labels = {(row.get(self.label_column) or '').strip() for _, row in rows}
            classes = tuple(sorted(label for label in labels if label))
            self._metainfo['classes'] = classes
        class_to_idx = {name: i for i, name in enumerate(classes)}

        if self.split_by_folder:
            split_files = self._files_in_split()
            annotated = {osp.normpath(row[self.path_column].strip()) for _, row in rows}
            orphans = sorted(split_files - annotated)
            if orphans:
                raise InputError(f'{osp.join(self.img_prefix, orphans[0])}: image has no row '
                                 f'in {csv_path} ({len(orphans)} such image(s) in the split)')
            rows = [(line, row) for line, row in rows
                    if osp.normpath(row[self.path_column].strip()) in split_files]
            if not rows:
                raise InputError(f'{self.img_prefix}: empty split (no image of {csv_path} '
                                 'in this folder)')

        data_list = []
        for line, row in rows:
            path = row[self.path_column].strip()
            label = (row.get(self.label_column) or '').strip()
            if not label:
                raise InputError(f'{csv_path} line {line}: empty {self.label_column!r} cell '
                                 f'for {path!r}')
            if label not in class_to_idx:
                raise InputError(f'{csv_path} line {line}: unknown label {label!r} '
                                 f'(classes: {", ".join(classes)})')
            img_path = osp.join(self.img_prefix, path)
            if not self.split_by_folder and not osp.isfile(img_path):
                raise InputError(f'{csv_path} line {line}: image not found: {img_path}')
            info = {
                key: (value.strip() or None) if isinstance(value, str) else value
                for key, value in row.items()
                if key not in (self.path_column, self.label_column) and key is not None
            }
            info.update(img_path=img_path, gt_label=class_to_idx[label])
            data_list.append(info)
        if not data_list:
            raise InputError(f'{csv_path}: no rows')
        return data_list

    def extra_repr(self):
        return [f'Annotation file: \t{self.ann_file}', f'Split folder: \t{self.img_prefix}']
