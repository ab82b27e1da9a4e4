
from .classification_report_hook import ClassificationReportHook  # noqa: F401
from .class_counts_hook import ClassCountsHook  # noqa: F401
from .eval_before_train_hook import EvalBeforeTrainHook  # noqa: F401
from .resumable_early_stopping_hook import ResumableEarlyStoppingHook  # noqa: F401
from .smoothed_metric_hook import SmoothedMetricHook  # noqa: F401
