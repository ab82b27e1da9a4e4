"""Load a script of the repository's ``tools/`` tree as a module, to call its ``main(argv)``."""
import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def tool_path(name: str) -> Path:
    """``tools/**/<name>.py`` (``name`` may also be a path relative to ``tools/``)."""
    direct = REPO / 'tools' / f'{name}.py'
    if direct.is_file():
        return direct
    matches = sorted((REPO / 'tools').rglob(f'{name}.py'))
    if len(matches) != 1:
        raise FileNotFoundError(f'tools/**/{name}.py: {len(matches)} matches')
    return matches[0]


def load_tool(name: str):
    """A fresh module object of the tool ``name`` (e.g. ``'eval_iou_f1'``)."""
    path = tool_path(name)
    spec = importlib.util.spec_from_file_location(f'tool_{path.stem}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
