"""``python -m tinygan.ops``: print the op table as Markdown (docs/ops.md)."""
import tinygan.ops  # noqa: F401  (fills the table)
from tinygan.ops.table import markdown

print(markdown(), end="")
