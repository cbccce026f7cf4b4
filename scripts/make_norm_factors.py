"""Writes tfstyle/core/data/vgg19_norm_<hash>.npz: VGG19 normalization factors.

The factors are each filter's mean activation (after ReLU) over the
calibration set in tfstyle/core/samples.py, for both average and max pooling,
computed on the un-normalized network. They belong to one weights file and
record its sha256. Run after a change to the calibration set or to ship
factors for other weights:

    python scripts/make_norm_factors.py [--vgg_weights=PATH]
"""

import argparse
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from tfstyle.core import samples, vgg, weights  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vgg_weights", default=None, help="weights file (default: found as usual)")
    parser.add_argument("--out_dir", default=str(pathlib.Path(vgg.__file__).parent / "data"))
    args = parser.parse_args()
    source = weights.find_vgg19_weights(args.vgg_weights, download=False)
    images = samples.calibration_images()
    factors = {pooling: vgg.compute_factors(source, images, pooling) for pooling in vgg.POOLINGS}
    out = pathlib.Path(args.out_dir) / vgg.factors_filename(source.sha256)
    vgg.save_factors(out, factors, source.sha256, samples.CALIBRATION_NOTE)
    dead = {p: sum(int((f <= 1e-6).sum()) for f in fs.values()) for p, fs in factors.items()}
    print(f"wrote {out} for {source.source} (sha256 {source.sha256}); "
          f"{len(images)} images; filters that never fire: {dead}")


if __name__ == "__main__":
    main()
