"""The console side of a data check report: two short tables and the findings."""
from rich import box
from rich.markup import escape
from rich.table import Table

from mmext.utils.terminal import rich_console

STYLES = dict(error='bold red', warning='yellow', info='cyan')
MAX_ITEMS = 8


def _range(values):
    lo, hi = values['min'], values['max']
    return f'{lo:g}' if lo == hi else f'{lo:g}-{hi:g}'


def _size(stats):
    size = stats.get('image_size')
    return f'{_range(size["width"])}x{_range(size["height"])}' if size else '-'


def _split_row(name, stats, bad, det):
    if 'same_as' in stats:
        return [name, f'= {stats["same_as"]}'] + [''] * (6 if det else 4)
    resize = stats.get('resize') or {}
    factor = '-'
    if resize.get('factor_min') is not None:
        factor = _range(dict(min=resize['factor_min'], max=resize['factor_max']))
    row = [name, str(stats['images']), str(stats['instances' if det else 'labels']),
           str(bad.get(name, 0)), _size(stats), factor]
    if det:
        per = stats.get('instances_per_image') or {}
        obj = stats.get('object_size_resized') or {}
        row += [f'{per.get("max", 0):g} {per.get("p99", 0):g}',
                f'{obj["min"]:g} {obj["p1"]:g}' if obj else '-']
    return row


def splits_table(report):
    det = report['scope'] == 'mmdet'
    types = ', '.join(sorted({s['dataset'] for s in report['splits'].values()
                              if 'dataset' in s}))
    title = (f'splits ({types}; inst/img: max p99; obj px: min p1 of sqrt(box area) '
             'after resize)' if det else f'splits ({types})')
    table = Table(box=box.SIMPLE_HEAD, title_justify='left', title=title, pad_edge=False)
    columns = ['split', 'images', 'objects' if det else 'labels', 'bad', 'size px', 'resize']
    if det:
        columns += ['inst/img', 'obj px']
    for c in columns:
        table.add_column(c, justify='left' if c == 'split' else 'right', no_wrap=True)
    bad = {}
    for item in report['bad_images']:
        bad[item['split']] = bad.get(item['split'], 0) + 1
    for name, stats in report['splits'].items():
        table.add_row(*_split_row(name, stats, bad, det))
    return table


def classes_table(report):
    splits = {n: s for n, s in report['splits'].items() if 'per_class' in s}
    table = Table(box=box.SIMPLE_HEAD, title='per class', title_justify='left')
    table.add_column('class')
    for name in splits:
        table.add_column(name, justify='right')
    classes = list(dict.fromkeys(c for s in splits.values() for c in s['per_class']))
    for c in classes:
        table.add_row(escape(c), *(str(s['per_class'].get(c, 0)) for s in splits.values()))
    return table


def print_report(report, json_path=None, console=None):
    """Print the tables, then each finding with its items and ``--cfg-options`` fix."""
    console = console or rich_console(highlight=False)
    console.print(splits_table(report))
    console.print(classes_table(report))
    for f in report['findings']:
        console.print(f'[{STYLES[f["level"]]}]{f["level"]}[/]: {escape(f["message"])}')
        for item in f['items'][:MAX_ITEMS]:
            console.print(f'    {escape(item)}')
        if len(f['items']) > MAX_ITEMS:
            console.print(f'    ... {len(f["items"]) - MAX_ITEMS} more (see the JSON report)')
        if f['cfg_options']:
            console.print(f'    fix: {escape(f["cfg_options"])}', soft_wrap=True)
    summary = (f'{report["errors"]} errors, {report["warnings"]} warnings; '
               f'{report["images_checked"]} images checked in {report["seconds"]:g} s')
    if json_path:
        summary += f'; report: {json_path}'
    console.print(summary)
