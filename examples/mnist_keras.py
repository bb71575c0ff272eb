"""The first example of Chollet's *Deep Learning with Python* (listing 2.1-2.5), on topograd.

Only the imports differ from the book's Keras code (matplotlib draws a digit, as the book
does: ``pip install 'topograd[all]'``). Run with the MNIST files in
``$TOPOGRAD_DATA/mnist`` (downloaded there when missing)::

    TOPOGRAD_DATA=../shared/data python examples/mnist_keras.py

Five epochs of RMSprop, batch 128: test accuracy 0.9799 (Keras's published run: 0.9777), the
same figure on every run for the seed set below and the same number of BLAS threads (with
OPENBLAS_NUM_THREADS=1: 0.9798; BLAS sums in a different order).
"""

import topograd
from topograd.keras import layers, models
from topograd.keras.datasets import mnist
from topograd.keras.utils import to_categorical

SEED = 0


def show_digit(images, index: int = 4, path: str = "mnist_digit.png") -> None:
    """The book's look at one training image (listing 2.6), also saved as a PNG file."""
    import matplotlib.pyplot as plt

    digit = images[index]
    plt.imshow(digit, cmap=plt.cm.binary)
    plt.savefig(path)
    plt.show()  # a window where there is a display; nothing under MPLBACKEND=Agg
    plt.close()
    print(f"digit {index} drawn in {path}")


def main(epochs: int = 5, verbose="auto") -> float:
    topograd.manual_seed(SEED)

    (train_images, train_labels), (test_images, test_labels) = mnist.load_data()
    show_digit(train_images)

    network = models.Sequential()
    network.add(layers.Dense(512, activation='relu', input_shape=(28 * 28,)))
    network.add(layers.Dense(10, activation='softmax'))

    network.compile(optimizer='rmsprop',
                    loss='categorical_crossentropy',
                    metrics=['accuracy'])

    train_images = train_images.reshape((60000, 28 * 28))
    train_images = train_images.astype('float32') / 255

    test_images = test_images.reshape((10000, 28 * 28))
    test_images = test_images.astype('float32') / 255

    train_labels = to_categorical(train_labels)
    test_labels = to_categorical(test_labels)

    network.fit(train_images, train_labels, epochs=epochs, batch_size=128, verbose=verbose)

    test_loss, test_acc = network.evaluate(test_images, test_labels, verbose=verbose)
    print('test_acc:', test_acc)
    return test_acc


if __name__ == "__main__":
    main()
