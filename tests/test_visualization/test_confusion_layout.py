"""The confusion-matrix figure lays out without overlaps for 2-10 classes, long names."""
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from mmext.visualization.cls_plots import confusion_figure

LONG = 'spheroidite+widmanstatten with a long name'


def boxes(texts, renderer):
    return [t.get_window_extent(renderer) for t in texts if t.get_visible() and t.get_text()]


@pytest.mark.parametrize('n', [2, 6, 10])
def test_no_overlaps(n):
    classes = [f'{LONG} {i}' if i % 2 else f'martensite {i}' for i in range(n)]
    counts = np.arange(n * n).reshape(n, n)
    fig = confusion_figure(counts, counts / counts.sum(1, keepdims=True), classes)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    left, right = fig.axes[:2]
    page = fig.bbox
    for ax, other in ((left, right), (right, left)):
        ticks = boxes(ax.get_xticklabels(), renderer) + boxes(ax.get_yticklabels(), renderer)
        assert ticks, 'tick labels drawn'
        other_box = other.get_window_extent(renderer)
        for box in ticks:
            assert not box.overlaps(other_box)  # no label runs into the other matrix
            assert page.x0 <= box.x0 and box.x1 <= page.x1 + 0.5
            assert page.y0 <= box.y0 and box.y1 <= page.y1 + 0.5
        for labels in (ax.get_xticklabels(), ax.get_yticklabels()):
            bs = boxes(labels, renderer)
            for i in range(len(bs) - 1):  # neighbours do not touch
                assert not bs[i].overlaps(bs[i + 1])
    assert boxes(right.get_yticklabels(), renderer) == []  # rows labelled once, on the left
