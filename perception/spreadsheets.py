"""Safe values for files people open in spreadsheets."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Stop a spreadsheet from running a text cell as a formula by prefixing a quote.

    Numbers pass through unchanged; only text that starts with =, +, -, @, tab or carriage
    return is changed.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
