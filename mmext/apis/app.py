"""Local web app (Gradio) over one config + checkpoint, behind ``tools/visualization/app.py``.

- classifier (mmpretrain scope): top-k classes with scores and a Grad-CAM overlay of
  the predicted class;
- particle model (mmdet scope): outlines of the predicted particles, their count, the
  per-particle shape table (downloadable CSV, µm with ``um_per_px``) and the size
  distribution, with a score-threshold slider that re-filters without re-running the
  model.

A file that is not an image gets a one-line message in the page (``#status``), never a
traceback. Needs the optional ``app`` extra (``pip install -e .[app]``).
"""
import os
import os.path as osp
import tempfile
import warnings

import mmcv
import numpy as np

from mmext.utils import InputError
from mmext.utils.images import loader_depth_max

#: Local fonts only: the default theme would fetch web fonts from the internet.
_FONTS = dict(font=('system-ui', 'DejaVu Sans', 'sans-serif'),
              font_mono=('DejaVu Sans Mono', 'monospace'))


def _read_image(path):
    """BGR image of an uploaded file, or InputError naming it."""
    if not path:
        raise InputError('no file given')
    try:
        img = mmcv.imread(path, flag='color')
    except Exception:
        img = None
    if img is None:
        raise InputError(f'{osp.basename(path)} is not an image OpenCV can read')
    return img


class ClassificationApp:
    """Top-k classes and a Grad-CAM overlay for one image."""

    def __init__(self, cfg, checkpoint, device='cpu', topk=3):
        from mmext.apis.cls_inference import build_predictor
        from mmext.visualization.cam import ClassActivationMapper
        self.predictor = build_predictor(cfg, checkpoint, device)
        self.topk = topk
        self.mapper = ClassActivationMapper(self.predictor.model,
                                            pipeline=cfg.test_dataloader.dataset.pipeline)

    def predict(self, path):
        """``(status, {class: score}, Grad-CAM RGB overlay)``."""
        _read_image(path)
        result = self.predictor([path])[0]
        scores = np.asarray(result['pred_scores'], np.float64)
        classes = self.predictor.classes or [str(i) for i in range(len(scores))]
        top = np.argsort(-scores)[:self.topk]
        overlay, _, cls = self.mapper(path, target_class=int(top[0]))
        label = {str(classes[i]): float(scores[i]) for i in top}
        status = f'{osp.basename(path)}: **{classes[top[0]]}** ({scores[top[0]]:.3f})'
        return status, label, overlay[..., ::-1]


class ParticleApp:
    """Particle outlines, count, shape table and size distribution for one image."""

    def __init__(self, cfg, checkpoint, device='cpu', um_per_px=None, min_score=0.05):
        from mmdet.apis import init_detector
        from mmdet.registry import TRANSFORMS
        from mmengine.dataset import Compose

        from mmext.engine.checkpoint_fit import load_checked
        from mmext.engine.score_threshold import (apply_checkpoint_score_thr,
                                                  score_thr_holder)
        validated = apply_checkpoint_score_thr(cfg, checkpoint)  # the slider starts there
        holder = score_thr_holder(cfg.model)
        self.default_thr = (validated if validated is not None
                            else float(holder['score_thr']) if holder else 0.3)
        if holder:  # the slider filters from here up
            holder['score_thr'] = min(self.default_thr, min_score)
        with warnings.catch_warnings(record=True):  # 'checkpoint is None': loaded below
            self.model = init_detector(cfg, None, device='cpu')
        meta = load_checked(self.model, checkpoint).get('meta') or {}
        self.model.dataset_meta.update(
            {k.lower(): v for k, v in (meta.get('dataset_meta') or {}).items()})
        self.model.to(device)
        self.pipeline = Compose([TRANSFORMS.build(t) for t in cfg.test_dataloader.dataset.pipeline
                                 if t['type'] != 'LoadAnnotations'])
        self.um_per_px = um_per_px
        self.out_dir = tempfile.mkdtemp(prefix='mmext-app-')

    def infer(self, path):
        """``dict(path, rles, scores)`` of every prediction above the model's floor."""
        from mmdet.apis import inference_detector

        from mmext.structures.rle import encode_masks
        _read_image(path)
        pred = inference_detector(self.model, path, test_pipeline=self.pipeline).pred_instances
        return dict(path=path, rles=encode_masks(pred.masks),
                    scores=pred.scores.float().cpu().numpy())

    def render(self, state, score_thr):
        """``(status, overlay RGB, count, table, CSV path, size plot path)`` at a threshold."""
        from mmext.evaluation.functional.shape_metrics import summarize
        from mmext.reports.shape_report import column, measure
        from mmext.reports.tables import write_table
        from mmext.visualization.particle_plots import (draw_particle_overlay,
                                                        plot_size_distribution)
        keep = np.flatnonzero(state['scores'] >= score_thr)
        rles = [state['rles'][i] for i in keep]
        name = osp.basename(state['path'])
        stem = osp.splitext(name)[0]
        overlay = draw_particle_overlay(state['path'], None, rles, None,
                                        osp.join(self.out_dir, f'{stem}_overlay.png'),
                                        max_side=1024,
                                        depth_max=loader_depth_max(self.pipeline.transforms))
        table = measure([dict(image_id=0, file_name=name, ids=list(range(len(rles))),
                              scores=list(state['scores'][keep]), rles=rles)],
                        self.um_per_px, progress=False)['table']
        cols = ['instance', 'score'] + [column(m, self.um_per_px) for m in (
            'area', 'equivalent_diameter', 'feret_max', 'feret_min', 'aspect_ratio',
            'circularity', 'solidity')]
        rows = [[table[c][i] for c in cols] for i in range(len(rles))]
        csv_path = osp.join(self.out_dir, f'{stem}_particles.csv')
        write_table(csv_path, cols, rows)
        ecd = table[column('equivalent_diameter', self.um_per_px)]
        unit = 'µm' if self.um_per_px else 'px'
        plot = plot_size_distribution({'prediction': ecd}, {'prediction': summarize(ecd)}, unit,
                                      osp.join(self.out_dir, f'{stem}_sizes.png'))
        s = summarize(ecd)
        status = (f'{name}: **{len(rles)} particles** at score ≥ {score_thr:.2f}'
                  + (f'; ECD D10/D50/D90 = {s["d10"]:.1f} / {s["d50"]:.1f} / {s["d90"]:.1f} '
                     f'{unit}' if len(rles) else ''))
        frame = [[round(float(v), 4) for v in row] for row in rows]
        return (status, mmcv.imread(overlay, channel_order='rgb'), str(len(rles)),
                dict(headers=cols, data=frame), csv_path, plot)


def build_app(config, checkpoint, device='cpu', um_per_px=None, topk=3):
    """The Gradio ``Blocks`` of a config (path) and checkpoint."""
    import gradio as gr

    from mmext.utils.config import drop_pretrained_init, init_scope, load_config
    if not osp.isfile(checkpoint):
        raise InputError(f'checkpoint not found: {checkpoint}')
    cfg = load_config(config)
    scope = init_scope(cfg, config)
    drop_pretrained_init(cfg)
    um_per_px = um_per_px or cfg.get('um_per_px')
    title = f'mmext · {osp.basename(config)}'
    with gr.Blocks(title=title) as demo:
        gr.Markdown(f'## {osp.basename(config)}\nDrop an image; checkpoint '
                    f'`{osp.basename(checkpoint)}`.')
        with gr.Row():
            upload = gr.File(label='image file', file_types=['image'], elem_id='upload')
            status = gr.Markdown('', elem_id='status')
        if scope == 'mmpretrain':
            app = ClassificationApp(cfg, checkpoint, device, topk)
            with gr.Row():
                label = gr.Label(num_top_classes=topk, label='top classes', elem_id='classes')
                cam = gr.Image(label='Grad-CAM (predicted class)', elem_id='overlay')

            def on_upload(path):
                try:
                    return app.predict(path)
                except InputError as exc:
                    return f'error: {exc}', None, None
            upload.upload(on_upload, upload, [status, label, cam])
        else:
            app = ParticleApp(cfg, checkpoint, device, um_per_px)
            state = gr.State(None)
            slider = gr.Slider(0, 1, value=app.default_thr, step=0.05, label='score threshold',
                               elem_id='score-thr')
            with gr.Row():
                overlay = gr.Image(label='particles', elem_id='overlay')
                with gr.Column():
                    count = gr.Textbox(label='count', elem_id='count')
                    sizes = gr.Image(label='size distribution', elem_id='sizes')
            table = gr.Dataframe(label='particles', elem_id='table')
            csv_file = gr.File(label='particles.csv', elem_id='csv')
            outputs = [status, overlay, count, table, csv_file, sizes]

            def on_upload(path, thr):
                try:
                    result = app.infer(path)
                except InputError as exc:
                    return (f'error: {exc}', None, '', None, None, None, None)
                return (*app.render(result, thr), result)

            def on_threshold(result, thr):
                if result is None:
                    return (gr.skip(), ) * len(outputs)
                return app.render(result, thr)
            upload.upload(on_upload, [upload, slider], outputs + [state])
            slider.release(on_threshold, [state, slider], outputs)
    demo.mmext_theme = gr.themes.Default(**_FONTS)
    return demo


def check_port_free(host: str, port: int) -> None:
    """Raise :class:`InputError` when ``host:port`` is already taken, before the model is
    built; other socket errors (a host that cannot be resolved) are left to the server."""
    import errno
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise InputError(f'--port {port}: {host}:{port} is in use (another app or '
                                 'server?); pick a free one with --port') from None


def launch(demo, host='127.0.0.1', port=7860, block=True):
    """Serve ``demo`` locally (no share link, no analytics); return the app."""
    os.environ.setdefault('GRADIO_ANALYTICS_ENABLED', 'False')
    demo.launch(server_name=host, server_port=port, share=False, quiet=True,
                prevent_thread_lock=not block, theme=demo.mmext_theme)
    return demo
