"""whatif's notebooks, installed as the package ``whatif._notebooks``: found through
:mod:`whatif.resources`."""
