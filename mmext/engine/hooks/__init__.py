
from .classification_report_hook import ClassificationReportHook  # noqa: F401
from .class_counts_hook import ClassCountsHook  # noqa: F401
from .eval_before_train_hook import EvalBeforeTrainHook  # noqa: F401
from .resumable_early_stopping_hook import ResumableEarlyStoppingHook  # noqa: F401
from .finite_loss_hook import FiniteLossHook  # noqa: F401
from .num_classes_check_hook import NumClassesCheckHook  # noqa: F401
from .particle_report_hook import ParticleReportHook  # noqa: F401
from .progress_bar_hook import ProgressBarHook  # noqa: F401
from .smoothed_metric_hook import SmoothedMetricHook  # noqa: F401
from .validated_score_thr_hook import ValidatedScoreThrHook  # noqa: F401
