"""Clips through any method: `clip.py` (reading and probing, streamed),
`store.py` (finished frames on disk, resumable; the encoded clip),
`temporal.py` (the flow-guided blend of one-pass methods), `stylize.py`
(the loop, and the warping error and style distance of the result). The
optical flow and the warping error live in `tfstyle.core` (`flow.py`,
`metrics.warping_error`). docs/video.md has the method and the numbers.
"""
