"""Safe values for files people open in spreadsheets."""

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 (so XLSX) cannot hold, and no CSV reader wants: every C0 control
# except tab, line feed and carriage return. openpyxl refuses a cell holding one.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise(value: object) -> object:
    """A cell that is safe to write to CSV or XLSX.

    Control characters are removed (one in a comment would otherwise make every later
    XLSX export fail); text that starts with =, +, -, @, tab or carriage return gets a
    leading quote so a spreadsheet shows it instead of running it as a formula. Numbers
    pass through unchanged.
    """
    if not isinstance(value, str):
        return value
    value = CONTROL_CHARACTERS.sub("", value)
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
