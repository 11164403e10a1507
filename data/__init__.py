"""whatif's data, installed as the package ``whatif._data``: read it through
:mod:`whatif.resources`, never by a path relative to the code."""
