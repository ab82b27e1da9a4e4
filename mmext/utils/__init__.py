from .errors import InputError
from .fileio import atomic_save, atomic_write

__all__ = ['InputError', 'atomic_save', 'atomic_write']
