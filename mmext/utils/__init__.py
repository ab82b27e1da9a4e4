from .errors import InputError, exit_on_input_error
from .fileio import atomic_outputs, atomic_save, atomic_write, check_outputs, write_file_set

__all__ = ['InputError', 'exit_on_input_error', 'atomic_outputs', 'atomic_save', 'atomic_write',
           'check_outputs', 'write_file_set']
