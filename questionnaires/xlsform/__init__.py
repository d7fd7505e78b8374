"""XLSForm in and out: ``read_xlsform`` (workbook -> definition) and ``write_xlsform``."""

from .reader import XLSFormError, definition_yaml, read_xlsform
from .writer import workbook, write_xlsform

__all__ = ["XLSFormError", "definition_yaml", "read_xlsform", "workbook", "write_xlsform"]
