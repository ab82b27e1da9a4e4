from . import samplers  # noqa: F401
from .csv_dataset import CSVDataset  # noqa: F401
from .particle_dataset import ParticleDataset  # noqa: F401
from . import transforms  # noqa: F401
