"""Visible -> thermal (infrared) by example: `tfstyle.infrared` and the
`infrared` command.

What thermal users have is aligned visible/thermal pairs of their own
sensor. `fit` learns from them which things are warm (a ridge regression
from VGG19 hypercolumns to each frame's relative intensity, `fit.py`);
`transfer.render` predicts a new photo's map and gives it the photo's edges
where they agree with it (a guided filter), so print, paint and shadows do
not survive. With thermal images only and no pairs, `transfer.style_only`
gives the photo's grey the thermal intensity histogram. docs/infrared.md has
the measurements.
"""
