"""tqdm progress bars for training, validation and testing (the calm console's)."""
from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from mmext.registry import HOOKS


@HOOKS.register_module()
class ProgressBarHook(Hook):
    """One bar for the whole training (iterations, with the loss), one per validation
    and test pass. Only the main process draws (on stderr)."""
    priority = 'VERY_LOW'

    def __init__(self):
        self._bar = None  # the validation or test bar
        self._train_bar = None

    def _open(self, total, desc, initial=0):
        if not is_main_process():
            return
        from tqdm import tqdm
        self._close()
        self._bar = tqdm(total=total, desc=desc, initial=initial, dynamic_ncols=True,
                         leave=True)

    def _step(self, **postfix):
        if self._bar is not None:
            self._bar.update(1)
            if postfix:
                self._bar.set_postfix(postfix, refresh=False)

    def _close(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def before_train(self, runner):
        self._open(runner.max_iters, 'train', initial=runner.iter)
        self._train_bar, self._bar = self._bar, None

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if self._train_bar is not None:
            self._train_bar.update(1)
            loss = (outputs or {}).get('loss')
            if loss is not None:
                loss = loss.item() if hasattr(loss, 'item') else float(loss)
                self._train_bar.set_postfix(loss=f'{loss:.4f}', refresh=False)

    def after_train(self, runner):
        if self._train_bar is not None:
            self._train_bar.close()
            self._train_bar = None

    def before_val_epoch(self, runner):
        self._open(len(runner.val_dataloader), 'val')

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self._step()

    def after_val_epoch(self, runner, metrics=None):
        self._close()

    def before_test_epoch(self, runner):
        self._open(len(runner.test_dataloader), 'test')

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self._step()

    def after_test_epoch(self, runner, metrics=None):
        self._close()
