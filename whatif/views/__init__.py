"""What the app shows, decided without widgets.

Each module here holds the plain logic of one of the app's panels (:mod:`whatif.ui`):
what to compute and when, what text and HTML to show, which scenario files to offer.
Nothing here imports ipywidgets or bqplot, so all of it is tested without a browser;
the ``ui`` panels only wire widgets to these functions.

- :mod:`~whatif.views.controls`: slider steps, shown numbers, tooltips, range notes,
  and :func:`~whatif.views.controls.shifted` (a slider move on a distribution)
- :mod:`~whatif.views.run`: the run settings, the goal check, one run of the model, and
  :class:`~whatif.views.run.RefreshQueue` (coalescing recomputations)
- :mod:`~whatif.views.headline`: the headline figures, the scenario title, the app's CSS
- :mod:`~whatif.views.scenarios`: the scenario files offered, saving, the brief export,
  the compare table
- :mod:`~whatif.views.sensitivity`: the "What matters most?" tab's choices and its text
- :mod:`~whatif.views.record`: the "Record vs model" tab's check table and dates
"""
