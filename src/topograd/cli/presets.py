"""Named networks, optimizers and datasets for ``topograd train``."""

from __future__ import annotations

import json
import os

import numpy as np

# each preset: the hidden layers as Keras layer configs; the output Dense is added to fit
# the dataset's number of classes
PRESETS = {
    "mlp": [{"class_name": "Dense", "config": {"units": 512, "activation": "relu"}}],
    "mlp-bn": [{"class_name": "Dense", "config": {"units": 512}},
               {"class_name": "BatchNormalization", "config": {}},
               {"class_name": "Activation", "config": {"activation": "relu"}},
               {"class_name": "Dropout", "config": {"rate": 0.2}}],
    "mlp-small": [{"class_name": "Dense", "config": {"units": 64, "activation": "relu"}},
                  {"class_name": "Dense", "config": {"units": 64, "activation": "relu"}}],
    "linear": [],
}
PRESET_HELP = {
    "mlp": "the seeds' network: Dense(512, relu), Dense(classes, softmax)",
    "mlp-bn": "Dense(512), BatchNormalization, relu, Dropout(0.2), Dense(classes, softmax)",
    "mlp-small": "Dense(64, relu) twice, Dense(classes, softmax): for the toy sets",
    "linear": "softmax regression: Dense(classes, softmax)",
}

OPTIMIZERS = ("sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw")


class DataSpec:
    """What ``--dataset`` means: the arrays, their input shape and class count."""

    def __init__(self, name, x_train, y_train, x_test, y_test, n_classes):
        self.name = name
        self.x_train, self.y_train = x_train, y_train
        self.x_test, self.y_test = x_test, y_test
        self.n_classes = n_classes
        self.input_shape = tuple(x_train.shape[1:])


TOY_SIZES = {"spiral": (1500, 600), "moons": (1000, 400)}


def load_dataset(name: str, data_dir=None, limit: int | None = None,
                 test_only: bool = False) -> DataSpec:
    """Load ``mnist`` (flattened to 784 floats in [0, 1]), ``spiral`` or ``moons``.

    The toy sets are drawn with fixed seeds (train 0, test 1), so a later
    ``topograd evaluate`` sees the very same test set.

    Args:
        name: ``mnist``, ``spiral`` or ``moons``.
        data_dir: the folder holding ``mnist/`` (default ``$TOPOGRAD_DATA`` or the cache).
        limit: keep only the first ``limit`` training and test samples.
        test_only: skip the training split (it is left empty).

    Returns:
        A :class:`DataSpec`.

    Example:
        >>> load_dataset("spiral", limit=10).x_train.shape
        (10, 2)
    """
    from topograd import data

    if name == "mnist":
        if data_dir is not None and not os.path.isdir(data_dir):
            raise FileNotFoundError(f"--data-dir {data_dir!r} is not a folder")
        if test_only:
            ds = data.MNIST(root=data_dir, train=False, flatten=True)
            x_test, y_test = ds.get_batch(np.arange(len(ds)))
            x_train, y_train = x_test[:0], y_test[:0]
        else:
            (xtr, ytr), (xte, yte) = data.load_mnist(root=data_dir)
            x_train = xtr.reshape(len(xtr), -1).astype(np.float32) / np.float32(255)
            x_test = xte.reshape(len(xte), -1).astype(np.float32) / np.float32(255)
            y_train, y_test = ytr.astype(np.int64), yte.astype(np.int64)
        n_classes = 10
    elif name in TOY_SIZES:
        make = data.make_spiral if name == "spiral" else data.make_moons
        n_train, n_test = TOY_SIZES[name]
        kw = {"n_classes": 3} if name == "spiral" else {"noise": 0.2}
        x_train, y_train = make(n_train, seed=0, **kw)
        x_test, y_test = make(n_test, seed=1, **kw)
        n_classes = 3 if name == "spiral" else 2
    else:
        raise ValueError(f"unknown dataset {name!r}; expected mnist, spiral or moons")
    if limit is not None:
        x_train, y_train = x_train[:limit], y_train[:limit]
        x_test, y_test = x_test[:limit], y_test[:limit]
    return DataSpec(name, x_train, y_train, x_test, y_test, n_classes)


def architecture(model_arg: str, input_shape: tuple, n_classes: int) -> dict:
    """The Keras ``Sequential`` config for ``--model``: a preset name or a JSON file.

    A JSON file holds what ``model.get_config()`` gives (``{"layers": [...]}``, optionally
    wrapped as ``{"class_name": "Sequential", "config": {...}}``) or just the list of
    layer configs ``[{"class_name": "Dense", "config": {"units": 64}}, ...]``. An
    ``InputLayer`` is added in front when the file has none.

    Args:
        model_arg: the preset name or the path of the JSON file.
        input_shape: the shape of one sample.
        n_classes: the number of classes (for the presets' output layer).

    Returns:
        ``{"name": ..., "layers": [...]}``, a Sequential config.

    Example:
        >>> [l["class_name"] for l in architecture("mlp", (784,), 10)["layers"]]
        ['InputLayer', 'Dense', 'Dense']
    """
    if model_arg in PRESETS:
        layers = [json.loads(json.dumps(lay)) for lay in PRESETS[model_arg]]
        layers.append({"class_name": "Dense",
                       "config": {"units": n_classes, "activation": "softmax"}})
        name = model_arg
    else:
        if not os.path.exists(model_arg):
            raise FileNotFoundError(f"--model {model_arg!r} is neither a preset "
                                    f"({', '.join(PRESETS)}) nor an existing JSON file")
        try:
            with open(model_arg, encoding="utf-8") as f:
                spec = json.load(f)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"{model_arg}: not a JSON architecture file ({e})") from None
        if isinstance(spec, dict) and spec.get("class_name") == "Sequential":
            spec = spec.get("config", {})
        if isinstance(spec, list):
            spec = {"layers": spec}
        if not isinstance(spec, dict) or not isinstance(spec.get("layers"), list) or not all(
                isinstance(lay, dict) and isinstance(lay.get("class_name"), str)
                for lay in spec["layers"]):
            raise ValueError(f"{model_arg}: expected {{\"layers\": [{{\"class_name\": ..., "
                             f"\"config\": {{...}}}}, ...]}} or a list of such layers")
        layers = spec["layers"]
        name = spec.get("name") or os.path.splitext(os.path.basename(model_arg))[0]
    if not layers or layers[0].get("class_name") != "InputLayer":
        layers.insert(0, {"class_name": "InputLayer",
                          "config": {"batch_shape": [None, *input_shape]}})
    return {"name": str(name), "layers": layers}


def make_optimizer(name: str, lr: float | None):
    """A Keras-style optimizer by name (``momentum`` is SGD with momentum 0.9).

    Args:
        name: one of :data:`OPTIMIZERS`.
        lr: the learning rate, or None for the optimizer's default.

    Returns:
        A ``topograd.keras.optimizers`` instance.

    Example:
        >>> type(make_optimizer("adam", 0.01)).__name__  # doctest: +SKIP
        'Adam'
    """
    from topograd.keras import optimizers

    kw = {} if lr is None else {"learning_rate": lr}
    table = {"sgd": optimizers.SGD, "momentum": optimizers.SGD, "adagrad": optimizers.Adagrad,
             "rmsprop": optimizers.RMSprop, "adam": optimizers.Adam,
             "adamw": getattr(optimizers, "AdamW", None)}
    cls = table.get(name)
    if cls is None:
        raise ValueError(f"unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZERS)}")
    if name == "momentum":
        kw["momentum"] = 0.9
    return cls(**kw)


def augmenter(dataset: str):
    """The ``--augment`` transform for a batch: random affine warps of (flat) MNIST images,
    Gaussian noise on toy points. It draws from topograd's global generator, so ``--seed``
    fixes it and a resumed run continues its stream."""
    from topograd.data import transforms

    if dataset == "mnist":
        return transforms.RandomAffine(degrees=10, translate=0.1, scale=0.1,
                                       image_shape=(28, 28))
    return transforms.GaussianNoise(std=0.05)
