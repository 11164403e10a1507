"""The app: ipywidgets + bqplot panels that only call the model (the only code that
imports ipywidgets or bqplot; the panels' plain logic is in :mod:`whatif.views`).

>>> from whatif.ui import WhatifApp
>>> app = WhatifApp()          # the baseline scenario; display(app) in a notebook
"""

from whatif.ui.app import WhatifApp, headline_text

__all__ = ["WhatifApp", "headline_text"]
