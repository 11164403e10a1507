"""The app: ipywidgets + bqplot controls and charts that only call the model.

>>> from whatif.ui import WhatifApp
>>> app = WhatifApp()          # the baseline scenario; display(app) in a notebook
"""

from whatif.ui.app import WhatifApp, headline_text, scenario_files

__all__ = ["WhatifApp", "headline_text", "scenario_files"]
