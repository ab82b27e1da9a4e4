"""Classification dataset annotated by a metadata CSV.

UHCSDB comes as one ``metadata.csv`` over one image folder: a path column, a label
column, and free-form columns (``sample_key``, ``magnification``, processing). A split is
chosen in one of three ways:

* split CSVs: ``ann_file='train.csv'`` etc., as ``tools/dataset_converters/split_dataset.py metadata.csv``
  writes them (every row is taken; ``split_by_folder=False``);
* a split column: ``ann_file='metadata.csv', split_column='split', split='train'``;
* split folders: ``data_prefix='train'`` with the split's image files in that folder
  (``split_by_folder=True``, the default; the rows whose file is in the folder are taken).

Images are read by the pipeline (``LoadImageFromFile``): with its default
``color_type='color'`` both decode backends (cv2, pillow) expand palette ('P') and
grayscale ('L') PNGs to 3-channel BGR with the palette colours applied, and the model's
data preprocessor (``to_rgb=True``) turns that into RGB. Keep ``color_type='color'``.
"""
import logging
import os.path as osp
from typing import Optional, Sequence

from mmengine.logging import print_log
from mmengine.utils import scandir
from mmpretrain.datasets import BaseDataset

from mmext.registry import CLS_DATASETS
from mmext.utils import InputError
from mmext.utils.images import IMG_EXTENSIONS
from .split import LABEL_COLUMN, read_csv_table

_RESERVED_KEYS = ('img_path', 'gt_label', 'sample_idx')
SPLIT_VALUES = ('train', 'val', 'test')


@CLS_DATASETS.register_module()
class CSVDataset(BaseDataset):
    """Single-label dataset from a metadata CSV (split CSVs, a split column or folders).

    Args:
        ann_file (str): The CSV (relative to ``data_root``).
        data_root (str): Root folder of ``ann_file`` and ``data_prefix``.
        data_prefix (str | dict): The image folder (e.g. ``'images'``), or with
            ``split_by_folder`` the split folder holding this split's images.
        path_column (str): Column with the image file name (relative to
            ``data_prefix``). Defaults to ``'path'``.
        label_column (str): Column with the class name.
            Defaults to :data:`~mmext.datasets.split.LABEL_COLUMN` (``'label'``).
        split_by_folder (bool): If True (default, and no ``split_column``), take the
            rows whose file is in the split folder, and reject images there without a
            CSV row. If False, take every row and require its image to exist under
            ``data_prefix``.
        split_column (str, optional): Column naming each row's split; with it only
            the rows whose cell equals ``split`` are taken (images must exist).
        split (str, optional): The split to take with ``split_column``.
        split_values (Sequence[str]): The values ``split_column`` may hold; any other
            value is an error naming the row.
        metainfo (dict, optional): ``dict(classes=(...))`` fixes the class list and
            order. Without it the classes come from the data and are logged: the
            ``classes.txt`` beside ``ann_file`` when there is one (the split tool writes
            it, so every split CSV gets the same indices), else the sorted labels of the
            whole CSV.
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
                 label_column: str = LABEL_COLUMN,
                 split_by_folder: bool = True,
                 split_column: Optional[str] = None,
                 split: Optional[str] = None,
                 split_values: Sequence[str] = SPLIT_VALUES,
                 metainfo: Optional[dict] = None,
                 extensions: Sequence[str] = IMG_EXTENSIONS,
                 lazy_init: bool = False,
                 **kwargs):
        if split_column and split not in split_values:
            raise InputError(f'CSVDataset {ann_file}: split={split!r} with split_column='
                             f'{split_column!r}; choose one of {", ".join(split_values)}')
        self.path_column = path_column
        self.label_column = label_column
        self.split_column = split_column
        self.split = split
        self.split_values = tuple(split_values)
        self.split_by_folder = split_by_folder and not split_column
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
        columns, rows = read_csv_table(
            csv_path, (self.path_column, self.label_column, self.split_column))
        for column in columns:
            if column in _RESERVED_KEYS and column not in (self.path_column, self.label_column):
                raise InputError(f'{csv_path}: column name {column!r} is reserved '
                                 'for the sample info; rename it')
        first_line = {}
        for line, row in rows:
            path = row[self.path_column]
            if not path:
                raise InputError(f'{csv_path} line {line}: empty {self.path_column!r} cell')
            key = osp.normpath(path)
            if key in first_line:
                raise InputError(f'{csv_path} line {line}: duplicate path {path!r} '
                                 f'(first at line {first_line[key]})')
            first_line[key] = line
            if self.split_column and row[self.split_column] not in self.split_values:
                raise InputError(
                    f'{csv_path} line {line}: {self.split_column!r} is '
                    f'{row[self.split_column]!r}, not one of {", ".join(self.split_values)}')
        return rows

    def _files_in_split(self):
        folder = self.img_prefix
        if not osp.isdir(folder):
            raise InputError(f'{folder}: split folder not found')
        return {osp.normpath(rel) for rel in scandir(folder, self.extensions, recursive=True,
                                                     case_sensitive=False)}

    def _classes_from_data(self, rows):
        """The classes of a config that names none: ``classes.txt`` beside the CSV (the
        split tool's, shared by every split CSV), else the CSV's sorted labels; logged."""
        listing = osp.join(osp.dirname(self.ann_file), 'classes.txt')
        if osp.isfile(listing):
            with open(listing, encoding='utf-8') as f:
                classes = tuple(line.strip() for line in f if line.strip())
            source = listing
        else:
            classes = tuple(sorted({row[self.label_column] for _, row in rows} - {''}))
            source = f'the {self.label_column!r} column of {self.ann_file}'
        print_log(f'CSVDataset: {len(classes)} classes from {source}: {", ".join(classes)}',
                  logger='current', level=logging.INFO)
        return classes

    def _select_rows(self, rows):
        """The rows of this dataset's split."""
        csv_path = self.ann_file
        if self.split_column:
            rows = [(line, row) for line, row in rows if row[self.split_column] == self.split]
            if not rows:
                raise InputError(f'{csv_path}: no row with {self.split_column!r} = '
                                 f'{self.split!r} (empty split)')
        elif self.split_by_folder:
            split_files = self._files_in_split()
            annotated = {osp.normpath(row[self.path_column]) for _, row in rows}
            orphans = sorted(split_files - annotated)
            if orphans:
                raise InputError(f'{osp.join(self.img_prefix, orphans[0])}: image has no row '
                                 f'in {csv_path} ({len(orphans)} such image(s) in the split)')
            rows = [(line, row) for line, row in rows
                    if osp.normpath(row[self.path_column]) in split_files]
            if not rows:
                raise InputError(f'{self.img_prefix}: empty split (no image of {csv_path} '
                                 'in this folder)')
        return rows

    def load_data_list(self):
        csv_path = self.ann_file
        rows = self._read_rows()
        classes = self._metainfo.get('classes')
        if classes is None:
            classes = self._metainfo['classes'] = self._classes_from_data(rows)
        class_to_idx = {name: i for i, name in enumerate(classes)}

        data_list = []
        for line, row in self._select_rows(rows):
            path = row[self.path_column]
            label = row[self.label_column]
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
                key: value or None
                for key, value in row.items()
                if key not in (self.path_column, self.label_column) and key is not None
            }
            info.update(img_path=img_path, gt_label=class_to_idx[label])
            data_list.append(info)
        if not data_list:
            raise InputError(f'{csv_path}: no rows')
        return data_list

    def extra_repr(self):
        split = (f'{self.split_column} = {self.split}' if self.split_column else
                 'split folder' if self.split_by_folder else 'every row')
        return [f'Annotation file: \t{self.ann_file}', f'Image folder: \t{self.img_prefix}',
                f'Rows: \t{split}']
