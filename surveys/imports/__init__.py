"""Bringing in survey exports from other tools.

- ``sheets``: bytes to rows (CSV/TSV through the shared upload reader, or an Excel
  sheet), within the upload limits;
- one module per source format saying how its header is laid out: ``qualtrics``,
  ``limesurvey``, ``surveymonkey``, and ``single_header`` (Google Forms, Microsoft Forms
  and plain CSV, which differ only in their first headers);
- ``read``: the whole export as a ``Table``;
- ``mapping``: proposing what each column holds, reading labels as numbers, converting;
- the service that stores a converted table is ``surveys.services.responses_import``.
"""

from surveys.imports.mapping import (
    KIND_WORDS,
    KINDS,
    QUESTION_KINDS,
    Converted,
    convert,
    is_missing,
    is_personal,
    propose_mapping,
    propose_scales,
)
from surveys.imports.read import FORMATS, read_export
from surveys.imports.scales import Block, Scale, blocks
from surveys.imports.table import ImportProblem, Table

__all__ = [
    "FORMATS",
    "KINDS",
    "KIND_WORDS",
    "QUESTION_KINDS",
    "Block",
    "Converted",
    "ImportProblem",
    "Scale",
    "Table",
    "blocks",
    "convert",
    "is_missing",
    "is_personal",
    "propose_mapping",
    "propose_scales",
    "read_export",
]
