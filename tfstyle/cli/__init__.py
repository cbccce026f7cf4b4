"""The command line's plumbing, free of absl so notebooks and scripts can
reuse it: progress printing, run records beside outputs, and one runner per
method (`main.py` turns flags into a runner's config and calls it)."""
