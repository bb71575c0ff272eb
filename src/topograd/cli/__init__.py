"""The ``topograd`` command line: train, evaluate, predict, summary, export.

``python -m topograd`` is the same program. Errors in what the user typed (a bad option, a
missing or damaged file) print one line and exit with status 2, without a traceback.

>>> main(["--version"])  # doctest: +SKIP
topograd 0.1.0
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import textwrap

EXIT_USAGE = 2


class CLIError(Exception):
    """An error in the user's input: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``topograd train: error: ...`` and exit status 2."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the epilog's layout and shows defaults that say something."""

    def _get_help_string(self, action):
        text = action.help or ""
        if ("default" in text or not action.option_strings or action.default is None
                or action.default is False or action.default == argparse.SUPPRESS):
            return text
        return f"{text} (default: %(default)s)"


def _wrap(text: str) -> str:
    return "\n\n".join(textwrap.fill(p, 79) for p in text.split("\n\n"))


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, found {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, found {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, found {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, found {text!r}")
    return value


DATASETS = ("mnist", "spiral", "moons")

TRAIN_EPILOG = """\
examples:
  topograd train                                  # the seeds' MNIST network, 5 epochs
  topograd train --model mlp-bn --epochs 2 --save mnist.safetensors
  topograd train --dataset spiral --model mlp-small --epochs 30 --lr 0.01 --optimizer adam
  topograd train --save run.safetensors --resume --epochs 10  # continue a stopped run
  topograd train --model arch.json                # an architecture from a JSON file
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``topograd`` command (all subcommands).

    Returns:
        An ``argparse.ArgumentParser`` whose errors print one line and exit with status 2.

    Example:
        >>> build_parser().parse_args(["train", "--epochs", "2"]).epochs
        2
    """
    from topograd import __version__

    from .presets import OPTIMIZERS, PRESETS

    parser = _Parser(
        prog="topograd",
        description="topograd: a small deep-learning framework on NumPy.\n\n"
                    "Train a network, evaluate or inspect a saved model, classify digit images.",
        epilog="Run 'topograd COMMAND --help' for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"topograd {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser(
        "train", help="train a network and report its test loss and accuracy",
        description=_wrap("Train a network (by default the seeds' MNIST network: Dense(512, "
                          "relu), Dense(10, softmax), RMSprop, 5 epochs, batch 128), print "
                          "Keras-style progress, then the test loss and accuracy."),
        epilog=TRAIN_EPILOG, formatter_class=_Formatter)
    p.add_argument("--model", default="mlp", metavar="NAME|FILE",
                   help=f"a preset ({', '.join(PRESETS)}) or a JSON architecture file")
    p.add_argument("--dataset", default="mnist", choices=DATASETS, help="the data to train on")
    p.add_argument("--optimizer", default="rmsprop", type=str.lower, choices=OPTIMIZERS,
                   help="the optimizer")
    p.add_argument("--lr", type=_positive_float, default=None,
                   help="learning rate (default: the optimizer's own)")
    p.add_argument("--epochs", type=_positive_int, default=5, help="number of epochs in all")
    p.add_argument("--batch-size", type=_positive_int, default=128, help="samples per step")
    p.add_argument("--seed", type=_seed, default=0, help="random seed (init, shuffling, dropout)")
    p.add_argument("--augment", action="store_true",
                   help="random affine distortions of the training images (noise for toy sets)")
    p.add_argument("--data-dir", metavar="DIR", default=None,
                   help="folder holding mnist/ (default: $TOPOGRAD_DATA or the user cache)")
    p.add_argument("--limit", type=_positive_int, default=None, metavar="N",
                   help="use only the first N training and N test samples (quick runs)")
    p.add_argument("--validation-split", type=float, default=0.0, metavar="F",
                   help="fraction of the training data held out to report val_ metrics")
    p.add_argument("--save", metavar="PATH", default=None,
                   help="save the model (weights, architecture, optimizer state) here after "
                        "every epoch; the write is atomic")
    p.add_argument("--resume", action="store_true",
                   help="continue from the model saved at --save PATH, up to --epochs")
    p.add_argument("--log", metavar="CSV", default=None, help="write per-epoch metrics to CSV")
    p.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1,
                   help="0 silent, 1 progress bar, 2 one line per epoch")

    p = sub.add_parser(
        "evaluate", help="report a saved model's test loss and accuracy",
        description=_wrap("Load a model saved by 'topograd train --save' (or model.save) and "
                          "report its loss and accuracy on the test set it was trained for."
                          "\n\n"
                          "The labels are given in the form the model's loss takes: class "
                          "indices for sparse_categorical_crossentropy, one-hot rows for "
                          "every other loss (categorical crossentropy, MSE, ...), 0/1 for one "
                          "sigmoid output. The loss and metrics are the model's own, as "
                          "model.evaluate gives them; the accuracy is its compiled accuracy "
                          "metric or, when it has none, the share of arg-max predictions that "
                          "match the labels. A model saved uncompiled has no loss: only its "
                          "accuracy is printed."),
        formatter_class=_Formatter)
    p.add_argument("model", metavar="MODEL", help="a saved model (.safetensors)")
    p.add_argument("--dataset", choices=DATASETS, default=None,
                   help="the test data (default: the one recorded in the model file)")
    p.add_argument("--data-dir", metavar="DIR", default=None, help="folder holding mnist/")
    p.add_argument("--limit", type=_positive_int, default=None, metavar="N",
                   help="only the first N test samples (default: as recorded in the model)")
    p.add_argument("--batch-size", type=_positive_int, default=None,
                   help="samples per step (default: as recorded, else 128)")

    p = sub.add_parser(
        "predict", help="classify digit images (or .npy / comma-separated inputs)",
        description=_wrap("Print the predicted class and its probability for each INPUT: an "
                          "image of one handwritten digit, a .npy file of samples, or numbers "
                          "separated by commas (e.g. 0.1,-0.4 or -1.5,2).\n\n"
                          "An image (PNG, JPEG, BMP, GIF, ...) may be of any size and drawn "
                          "anywhere on it, dark ink on light paper or light on dark: it is made "
                          "grayscale (transparency counts as white paper) and inverted when its "
                          "border is light (see --invert), so the digit is white on black as "
                          "in MNIST. Then it is prepared as MNIST's digits were: cropped to its "
                          "ink, scaled to fit a 20x20 box keeping its aspect ratio, and moved "
                          "so that its centre of mass is at the centre of a 28x28 frame. A "
                          "28x28 image whose ink already spans 16 to 20 pixels (an MNIST "
                          "digit) is only moved by whole pixels, never resampled. One digit "
                          "per image, with nothing else inked on it."),
        formatter_class=_Formatter)
    p.add_argument("model", metavar="MODEL", help="a saved model (.safetensors)")
    p.add_argument("inputs", metavar="INPUT", nargs="+", help="image, .npy file or 'x1,x2,...'")
    p.add_argument("--invert", choices=("auto", "yes", "no"), default="auto",
                   help="invert images to white on black (auto: when the border is light, "
                        "i.e. dark ink on light paper)")
    p.add_argument("--top", type=_positive_int, default=1, metavar="K",
                   help="show the K most likely classes")
    # inputs such as -1.5,2 are numbers, not options
    p._negative_number_matcher = re.compile(r"^-\.?\d[\d.,eE+-]*$")

    p = sub.add_parser("summary", help="print a saved model's layer table",
                       description="Print the layer table of a saved model.",
                       formatter_class=_Formatter)
    p.add_argument("model", metavar="MODEL", help="a saved model (.safetensors)")

    p = sub.add_parser("export", help="export a saved model to ONNX",
                       description="Write an ONNX file for a saved model (needs the onnx "
                                   "package: pip install 'topograd[onnx]').",
                       formatter_class=_Formatter)
    p.add_argument("model", metavar="MODEL", help="a saved model (.safetensors)")
    p.add_argument("output", metavar="OUTPUT", help="the .onnx file to write")
    return parser


def _existing_file(path: str, what: str = "model file") -> str:
    if not os.path.exists(path):
        raise CLIError(f"{what} {path!r} not found")
    if not os.path.isfile(path):
        raise CLIError(f"{what} {path!r} is not a file")
    return path


def main(argv=None) -> int:
    """Run the ``topograd`` command line.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit status: 0 on success, 2 for a usage or input error, 1 when memory runs
        out, 130 on Ctrl-C.

    Example:
        >>> main(["summary", "no-such-file.safetensors"])  # doctest: +SKIP
        topograd summary: error: model file 'no-such-file.safetensors' not found
        2
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    from . import commands

    run = getattr(commands, f"cmd_{args.command}")
    prog = f"topograd {args.command}"
    try:
        return run(args) or 0
    except CLIError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except (OSError, ValueError, ImportError) as e:
        # a missing, unreadable or damaged file, a bad architecture, a missing extra
        if os.environ.get("TOPOGRAD_DEBUG"):
            raise
        print(f"{prog}: error: {_one_line(e)}", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError as e:
        # the files are checked before anything is allocated for them; what is left is a
        # model or data set too large for this machine
        if os.environ.get("TOPOGRAD_DEBUG"):
            raise
        print(f"{prog}: error: out of memory ({_one_line(e)})", file=sys.stderr)
        return 1


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    if isinstance(e, OSError) and e.filename and str(e.filename) not in text:
        text = f"{e.filename}: {text}"
    return text


__all__ = ["CLIError", "build_parser", "main"]
