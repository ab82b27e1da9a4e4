"""NumClassesCheckHook: a model/data class-count mismatch stops before the run, one line."""
import pytest
import torch.nn as nn
from mmengine.model import BaseModel

from mmext.engine.hooks.num_classes_check_hook import model_class_counts

CLS_CFG = 'configs/demo/resnet18_1xb32-20e_demo-micrographs.py'


def test_model_class_counts_skip_the_rpn():
    class Head(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.num_classes = n

    class Det(BaseModel):
        def __init__(self):
            super().__init__()
            self.rpn_head = Head(1)
            self.roi_head = nn.Module()
            self.roi_head.bbox_head = Head(3)

        def forward(self, *args, **kwargs):
            pass

    assert model_class_counts(Det()) == {'roi_head.bbox_head': 3}


@pytest.mark.parametrize('options, message', [
    (['model.head.num_classes=3'],
     'head.num_classes is 3 but the train data has 5 classes (martensite, network, '
     'pearlite, spheroidite, spheroidite+widmanstatten); set num_classes to 5'),
    (['model.data_preprocessor.num_classes=4'],
     'data_preprocessor.num_classes is 4 but the train data has 5 classes'),
])
def test_train_stops_on_a_mismatch(run_tool, micrograph_root, tmp_path, options, message):
    proc = run_tool('tools/train.py', CLS_CFG, '--data-root', micrograph_root,
                    '--work-dir', str(tmp_path), '--cfg-options', *options,
                    'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0',
                    'train_dataloader.persistent_workers=False',
                    'val_dataloader.persistent_workers=False', check=False)
    assert proc.returncode == 2, proc.stderr[-2000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f'error: {message}'), last
    assert not list(tmp_path.glob('*.pth'))  # stopped before any training
