"""Deal files: reading YAML or JSON into a validated DealSpec, and the format's JSON Schema.

``documents`` turns text into plain data safely, ``problems`` words what is wrong for a sales
rep, and ``reader`` puts the two around validation.
"""

from dealflow.files.dealfile.documents import MAX_NODES
from dealflow.files.dealfile.reader import (
    MAX_FILE_BYTES,
    deal_file_schema,
    load_deal_file,
    parse_deal_spec,
)

__all__ = ["MAX_FILE_BYTES", "MAX_NODES", "deal_file_schema", "load_deal_file", "parse_deal_spec"]
