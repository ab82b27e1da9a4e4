"""Interactive local web app over a config + checkpoint (classifier or particle model).

    pip install -e .[app]
    python tools/visualization/app.py CONFIG CHECKPOINT [--port 7860] [--host 127.0.0.1] [--um-per-px 0.5]

Then open http://127.0.0.1:7860 and drop an image.
"""
import argparse
import os

os.environ.setdefault('GRADIO_ANALYTICS_ENABLED', 'False')

from mmext.utils import InputError, exit_on_input_error  # noqa: E402
from mmext.utils.terminal import calm_warnings  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Local web app: drop images, see predictions')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--host', default='127.0.0.1', help='address to serve on')
    parser.add_argument('--port', type=int, default=7860, help='port to serve on')
    parser.add_argument('--device', default='cpu', help='cpu or cuda:0')
    parser.add_argument('--um-per-px', type=float, help='particles: microns per pixel')
    parser.add_argument('--topk', type=int, default=3, help='classifier: classes shown')
    return parser.parse_args(argv)


def main(argv=None):
    calm_warnings()
    args = parse_args(argv)
    with exit_on_input_error():
        try:
            import gradio  # noqa: F401
        except ImportError:
            raise InputError('the app needs the optional dependencies: '
                             'pip install -e .[app]') from None
        from mmext.apis.app import build_app, check_port_free, launch
        check_port_free(args.host, args.port)  # before the model is built
        from mmext.engine.checkpoint import install_checkpoint_policy
        install_checkpoint_policy()
        demo = build_app(args.config, args.checkpoint, args.device, args.um_per_px, args.topk)
        print(f'mmext app on http://{args.host}:{args.port} (Ctrl+C to stop)')
        launch(demo, args.host, args.port)


if __name__ == '__main__':
    main()
