"""A calm console for the tools: progress bars and a short summary table on the
terminal, mmengine's full logs (environment, config dump, hook tables, per-interval
records, stray prints) in the work_dir log file only.

``with Console(verbose) as console: runner = console.build(cfg)`` builds the config's
runner class with its console log handler raised to WARNING (warnings and errors still
show), stdout prints routed to the log file, upstream deprecation notices kept off the
console, and a :class:`~mmext.engine.hooks.ProgressBarHook` added; ``console.summary``
prints the table. ``verbose=True`` builds the plain runner, as mmengine would.
"""
import contextlib
import io
import logging
import os.path as osp
import sys

from mmengine.registry import RUNNERS
from mmengine.runner import Runner


class _LogFileStream(io.TextIOBase):
    """stdout replacement: complete lines go to the log file handlers of the runner's
    logger (kept until that logger exists)."""

    def __init__(self):
        self.handlers = []
        self.pending = []
        self._line = ''

    def write(self, text):
        self._line += text
        *lines, self._line = self._line.split('\n')
        for line in lines:
            if line.strip():
                self.pending.append(line)
        self.flush()
        return len(text)

    def flush(self):
        if not self.handlers:
            return
        for line in self.pending:
            record = logging.LogRecord('stdout', logging.INFO, '', 0, line, None, None)
            for handler in self.handlers:
                handler.handle(record)
        self.pending = []


class _NoDeprecations(logging.Filter):
    """Keep upstream deprecation notices (e.g. mmengine's FileClient) off the console."""

    def filter(self, record):
        return 'deprecated' not in record.getMessage()


def _calm_class(runner_cls, terminal, sink):
    class CalmRunner(runner_cls):
        def build_logger(self, *args, **kwargs):
            logger = super().build_logger(*args, **kwargs)
            for handler in logger.handlers:
                if isinstance(handler, logging.FileHandler):
                    # mmengine reuses the logger of a run started in the same second;
                    # that earlier run's file handler is closed
                    if handler.stream is not None and not handler.stream.closed:
                        sink.handlers.append(handler)
                elif isinstance(handler, logging.StreamHandler):
                    if getattr(handler.stream, 'closed', False):  # a reused logger's
                        handler.stream = terminal  # setStream would flush the closed one
                    else:
                        handler.setStream(terminal)
                    handler.setLevel(max(handler.level, logging.WARNING))
                    handler.addFilter(_NoDeprecations())
            sink.flush()
            return logger
    CalmRunner.__name__ = CalmRunner.__qualname__ = f'Calm{runner_cls.__name__}'
    return CalmRunner


class Console:
    """What a tool shows: ``with Console(verbose) as console: runner = console.build(cfg)``
    then ``console.summary(rows)`` after the run."""

    def __init__(self, verbose=False):
        self.verbose = verbose
        self.terminal = sys.stdout
        self._redirect = None
        self.sink = _LogFileStream()

    def __enter__(self):
        if not self.verbose:
            self._redirect = contextlib.redirect_stdout(self.sink)
            self._redirect.__enter__()
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:  # end the progress bars' lines before the error line
            from tqdm import tqdm
            for bar in list(getattr(tqdm, '_instances', ())):
                bar.close()
        if self._redirect is not None:
            self._redirect.__exit__(*exc)
            self._redirect = None
        return False

    def build(self, cfg):
        """The config's runner (``runner_type`` or mmengine's ``Runner``), calm or not."""
        runner_cls = RUNNERS.get(cfg.runner_type) if 'runner_type' in cfg else Runner
        if self.verbose:
            return runner_cls.from_cfg(cfg)
        cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [dict(type='ProgressBarHook')]
        return _calm_class(runner_cls, self.terminal, self.sink).from_cfg(cfg)

    def summary(self, title, metrics, outputs=()):
        """A (metric, value) table on the terminal, then ``name: path`` lines (whole, so
        they can be copied)."""
        from rich.table import Table

        from mmext.utils.terminal import rich_console
        console = rich_console(self.terminal)
        table = Table(title=title, title_justify='left')
        table.add_column('metric')
        table.add_column('value', justify='right')
        for name, value in metrics:
            table.add_row(str(name), f'{value:.4f}' if isinstance(value, float) else str(value))
        console.print(table)
        for name, path in outputs:
            console.print(f'{name}: {path}', soft_wrap=True, highlight=False)


def run_outputs(runner, report=True):
    """``(name, path)`` rows: the report page (if written) and the log file."""
    rows = []
    index = osp.join(runner.work_dir, 'report', 'index.html')
    if report and osp.isfile(index):
        rows.append(('report', index))
    rows.append(('full log', osp.join(runner.log_dir, f'{runner.timestamp}.log')))
    return rows


def last_val_metrics(runner):
    """The latest validation metrics from the runner's message hub."""
    return [(k[len('val/'):], float(v.current())) for k, v in
            runner.message_hub.log_scalars.items()
            if k.startswith('val/') and k not in ('val/time', 'val/data_time')]
