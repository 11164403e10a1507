"""The app: ipywidgets + bqplot controls and charts that only call the model."""
