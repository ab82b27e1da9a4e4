"""Write class-activation-map overlays (Grad-CAM and variants) for images.

    python tools/visualization/gradcam.py CONFIG CHECKPOINT IMG [IMG ...] --out-dir cams \
        [--method gradcam|gradcam++|xgradcam|eigencam|...] \
        [--target-layers backbone.layer4] [--target-class N]

One PNG per image and method, ``<out-dir>/<image stem>_<method>.png`` (images sharing a
stem are named by their path below their common folder; an existing file needs
``--force``), the size of the input image; the target class defaults to the predicted
one. Prints each output path.
"""
import argparse
import contextlib
import os.path as osp
import sys

from mmext.utils import check_outputs, exit_on_input_error
from mmext.utils.terminal import calm_warnings
from mmext.utils.config import add_config_args, load_config


def parse_args(argv=None):
    from mmext.visualization.cam import CAM_METHODS
    parser = argparse.ArgumentParser(description='Class activation map overlays')
    parser.add_argument('config', help='classification config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('images', nargs='+', help='image files or folders')
    parser.add_argument('--out-dir', default='cam', help='folder for the overlay PNGs')
    parser.add_argument('--method', default='gradcam', type=str.lower,
                        choices=sorted(CAM_METHODS), help='CAM method')
    parser.add_argument('--target-layers', nargs='+', default=None,
                        help='module names, e.g. backbone.layer4 '
                        '(default: last norm layer of the backbone)')
    parser.add_argument('--target-class', type=int, default=None,
                        help='class index to explain (default: the predicted class)')
    parser.add_argument('--eigen-smooth', action='store_true',
                        help='first principal component of the weighted activations')
    parser.add_argument('--aug-smooth', action='store_true', help='test-time augmentation')
    parser.add_argument('--device', default='cpu', help='device, e.g. cpu or cuda:0')
    parser.add_argument('--force', action='store_true',
                        help='overwrite CAM files already in --out-dir')
    add_config_args(parser)
    return parser.parse_args(argv)


def main(argv=None):
    calm_warnings()
    args = parse_args(argv)
    with exit_on_input_error():
        from mmengine.utils import track_iter_progress

        from mmext.apis.cls_inference import build_predictor, list_images
        from mmext.engine.checkpoint import install_checkpoint_policy, trust_checkpoint
        from mmext.visualization.cam import ClassActivationMapper, cam_file_names
        install_checkpoint_policy()
        images = list_images(args.images)
        out_names = cam_file_names(images, args.method)  # one each, checked before the work
        check_outputs([osp.join(args.out_dir, n) for n in out_names], args.force,
                      folders=[args.out_dir])
        if args.trust_checkpoint:
            trust_checkpoint(args.checkpoint)
        lines = []
        with contextlib.redirect_stdout(sys.stderr):  # logs and progress bar off stdout
            model = build_predictor(load_config(args.config, args.cfg_options, args.data_root),
                                    args.checkpoint, device=args.device).model
            mapper = ClassActivationMapper(model, args.method, args.target_layers)
            names = model._dataset_meta.get('classes') if model._dataset_meta else None
            for img, out_name in zip(
                    track_iter_progress(images) if len(images) > 1 else images, out_names):
                out, cls = mapper.save(img, args.out_dir, args.target_class, name=out_name,
                                       overwrite=args.force,
                                       eigen_smooth=args.eigen_smooth,
                                       aug_smooth=args.aug_smooth)
                name = names[cls] if names and cls < len(names) else str(cls)
                lines.append(f'{out}\tclass {cls} ({name})')
        print('\n'.join(lines))


if __name__ == '__main__':
    main()
