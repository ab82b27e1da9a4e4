"""The per-sample results a report hook kept during the test loop, gathered from all ranks."""
from mmengine.dist import collect_results, is_main_process


def gather_test_results(runner, results, hook_name):
    """All ranks' ``results`` in dataset order on the main process, else None; a test
    loop that left none is logged as a warning (and gives None)."""
    results = collect_results(results, len(runner.test_dataloader.dataset))
    if not is_main_process():
        return None
    if not results:
        runner.logger.warning(f'{hook_name}: no test predictions collected')
        return None
    return results
