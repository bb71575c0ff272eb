"""Shapes through layers, Sequential, a loss and its gradients; then the activation functions.

Adapted from the tutorial "深度学习进阶 - 矩阵运算的维度和激活函数" (seed 000): the PyTorch
snippets run unchanged with ``import topograd as torch``.

    python examples/pytorch_basics.py
"""

import numpy as np

import topograd as torch
from topograd import nn

torch.manual_seed(0)
np.random.seed(0)

# -- the dimensions of matrix products --------------------------------------------------
x = torch.from_numpy(np.random.random(size=(4, 10)))
print(x.shape)  # topograd.Size([4, 10])

linear = nn.Linear(in_features=10, out_features=5).double()
print(linear(x).shape)  # topograd.Size([4, 5])

# in_features must match the data's 10 columns; 8 does not fit
try:
    nn.Linear(in_features=8, out_features=5).double()(x)
except (RuntimeError, ValueError) as e:
    print("error:", e)  # mat1 and mat2 shapes cannot be multiplied (4x10 and 8x5)

nonlinear = nn.Softmax(dim=1)
print(nonlinear(linear(x)))  # a 4x5 probability distribution: each row sums to 1

# stack more layers: linear2 must take the 5 features linear gives
yhat = nn.Softmax(dim=1)
nonlinear = nn.Sigmoid()
linear2 = nn.Linear(in_features=5, out_features=8).double()
print(yhat(linear2(nonlinear(linear(x)))).shape)  # topograd.Size([4, 8])

# the same chain, written with Sequential
model = nn.Sequential(
    nn.Linear(in_features=10, out_features=5).double(),
    nn.Sigmoid(),
    nn.Linear(in_features=5, out_features=8).double(),
    nn.Softmax(dim=1),
)
print(model(x).shape)  # topograd.Size([4, 8])

# a loss, then backpropagation fills every parameter's .grad
ytrue = torch.randint(8, (4,))
loss_fn = nn.CrossEntropyLoss()
print(model(x).shape, ytrue.shape)
# The tutorial feeds the Softmax output to CrossEntropyLoss; but the loss applies
# log-softmax itself (and topograd warns about probabilities), so give it the scores
# before the Softmax: model[:-1] is the Sequential without its last layer.
loss = loss_fn(model[:-1](x), ytrue)
print("loss:", loss.item())
loss.backward()
for name, p in model.named_parameters():
    print(name, tuple(p.shape), "grad norm", float(np.linalg.norm(p.grad.numpy())))
    assert p.grad.shape == p.shape

# -- activation functions -----------------------------------------------------------------
z = torch.linspace(-3, 3, 7)
table = {
    "sigmoid": torch.sigmoid(z),
    "tanh": torch.tanh(z),
    "relu": nn.ReLU()(z),
    "leaky_relu(0.2)": nn.LeakyReLU(0.2)(z),
}
print(f"{'z':>16}", " ".join(f"{v:6.2f}" for v in z.tolist()))
for name, values in table.items():
    print(f"{name:>16}", " ".join(f"{v:6.2f}" for v in values.tolist()))

# the slope of each at z: ReLU's is 1 for z > 0 and 0 otherwise (0 at the kink, by choice)
zg = torch.tensor([-2.0, 0.0, 2.0], requires_grad=True)
for name, fn in [("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("relu", nn.ReLU()),
                 ("leaky_relu", nn.LeakyReLU(0.2))]:
    zg.grad = None
    fn(zg).sum().backward()
    print(f"d {name}/dz at -2, 0, 2:", [round(g, 4) for g in zg.grad.tolist()])
assert np.allclose(torch.sigmoid(torch.tensor(0.0)).item(), 0.5)
