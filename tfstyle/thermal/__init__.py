"""Visible -> thermal (infrared) by example: `tfstyle.infrared` and the
`infrared` command.

What thermal users have is aligned visible/thermal pairs of their own
sensor. `fit.fit` learns from them which things are warm (a ridge regression
from VGG19 hypercolumns to each frame's relative intensity); `transfer.render`
predicts a new photo's map and gives it the photo's edges where they agree
with it (a guided filter), so print, paint and shadows do not survive, then
the thermal texture of the most similar example (WCT²). With thermal images
only and no pairs, `transfer.style_only`. docs/infrared.md has the
measurements. No TensorFlow is loaded by importing these modules.
"""

from tfstyle.thermal import config, examples, fit, recipe, transfer  # noqa: F401
