"""Keep the console calm while datasets are built: their log lines and prints go to a
file, and their warnings are kept for the report."""
import contextlib
import io
import logging
import os
import os.path as osp
import warnings

from mmengine.logging import MMLogger


class _Collect(logging.Handler):
    def __init__(self, records):
        super().__init__(logging.INFO)
        self.records = records

    def emit(self, record):
        self.records.append((record.levelno, record.getMessage()))


@contextlib.contextmanager
def captured_logs(log_file=None):
    """Route mmengine's current logger, ``print`` output (pycocotools) and Python
    warnings into ``log_file`` (or nowhere) for the duration; yield the list that
    collects ``(level, message)`` of the records logged (INFO and above)."""
    records = []
    if log_file:
        os.makedirs(osp.dirname(osp.abspath(log_file)), exist_ok=True)
    logger = MMLogger.get_instance(f'mmext_data_check_{id(records)}', log_file=log_file,
                                   log_level='INFO')  # becomes the current instance
    consoles = [h for h in logger.handlers if type(h) is logging.StreamHandler]
    levels = [h.level for h in consoles]
    for handler in consoles:
        handler.setLevel(logging.CRITICAL + 1)
    collector = _Collect(records)
    logger.addHandler(collector)
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            yield records
    finally:
        logger.removeHandler(collector)
        for line in printed.getvalue().splitlines():
            logger.info(line)
        for w in caught:
            logger.info(f'{w.category.__name__}: {w.message}')
        for handler, level in zip(consoles, levels):
            handler.setLevel(level)
