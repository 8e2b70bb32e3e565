"""The local Supabase surface: roles, ``auth``, ``storage``, ``extensions`` and stand-in extensions.

See ``shim`` for what is installed and ``docs/supabase.md`` for the user's view.
"""

from .shim import STANDIN_DIR, ShimResult, extension_control_path, install

__all__ = ["STANDIN_DIR", "ShimResult", "extension_control_path", "install"]
