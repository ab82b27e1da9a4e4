from .tiles import tile_spans, tiled_forward
from .watershed_instances import DenseInstances, instances_from_maps, watershed_labels

__all__ = ['DenseInstances', 'instances_from_maps', 'tile_spans', 'tiled_forward',
           'watershed_labels']
