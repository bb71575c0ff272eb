"""The Keras face's fused primitives: Dense (+ activation) and Keras-style batch norm.

Keras keeps a Dense kernel as (in, out), so ``x @ kernel`` needs no transpose and the
kernel's gradient ``x.T @ g`` comes out contiguous in the kernel's own layout. The common
activations are applied in place on the product and differentiated from the output, so a
Dense layer with ReLU is one graph node that keeps only its input, kernel and output.
"""

from __future__ import annotations

import numpy as np

from topograd.primitives.elementwise import Primitive, stable_sigmoid

#: Activations the Dense primitive applies in place (others run as separate nodes).
FUSED_ACTIVATIONS = ("linear", "relu", "sigmoid", "tanh")


def _need(ctx, i: int) -> bool:
    e = ctx.next_edges
    return i < len(e) and e[i] is not None


def _array_only(g, name: str) -> None:
    if hasattr(g, "_data"):  # a Tensor (create_graph); an array or NumPy scalar is fine
        raise RuntimeError(f"{name}: double backward (create_graph=True) is not supported "
                           "through the Keras face's fused layers")


class Dense(Primitive):
    """``activation(x @ kernel + bias)`` for x (..., in), kernel (in, out), bias (out,) or None.

    ``activation`` is one of :data:`FUSED_ACTIVATIONS`. Backward: gz = g * act'(out);
    gx = gz @ kernel.T, gkernel = x.T @ gz, gbias = gz.sum(0), each only when needed.
    """

    @staticmethod
    def forward(ctx, x, kernel, bias=None, activation="linear"):
        flat = x.ndim != 2
        x2 = x.reshape(-1, x.shape[-1]) if flat else x
        out = dense_array(x2, kernel, bias, activation)
        ctx.activation = activation
        ctx.flat = flat
        ctx.save_for_backward(x2, kernel, None if activation == "linear" else out)
        return out.reshape(x.shape[:-1] + (kernel.shape[1],)) if flat else out

    @staticmethod
    def backward(ctx, g):
        _array_only(g, "Dense")
        x2, kernel, out = ctx.saved
        if ctx.flat:
            g = g.reshape(-1, kernel.shape[1])
        act = ctx.activation
        if act == "relu":
            g = g * (out > 0)
        elif act == "sigmoid":
            g = g * (out * (1 - out))
        elif act == "tanh":
            g = g * (1 - out * out)
        gx = gk = gb = None
        if _need(ctx, 0):
            gx = g @ kernel.T
            if ctx.flat:
                gx = gx.reshape(ctx.in_shapes[0])
        if _need(ctx, 1):
            gk = x2.T @ g
        if _need(ctx, 2):
            gb = g.sum(axis=0)
        return gx, gk, gb


def dense_array(x2: np.ndarray, kernel: np.ndarray, bias, activation: str) -> np.ndarray:
    """``activation(x2 @ kernel + bias)`` on arrays, x2 (N, in); the activation in place."""
    out = x2 @ kernel
    if bias is not None:
        out += bias
    if activation == "relu":
        np.maximum(out, 0, out=out)
    elif activation == "sigmoid":
        out = stable_sigmoid(out)
    elif activation == "tanh":
        np.tanh(out, out=out)
    return out


def batch_norm_inference(x2: np.ndarray, gamma, beta, moving_mean: np.ndarray,
                         moving_variance: np.ndarray, epsilon: float):
    """``(xhat, invstd, out)`` of batch norm by the moving statistics, x2 (N, C)."""
    invstd = (1 / np.sqrt(moving_variance + epsilon)).astype(x2.dtype)
    xhat = (x2 - moving_mean.astype(x2.dtype)) * invstd
    out = xhat * gamma if gamma is not None else xhat.copy()
    if beta is not None:
        out += beta
    return xhat, invstd, out


class BatchNorm(Primitive):
    """Keras's batch normalization over every axis but the last of x (..., C).

    Training: normalize by the batch mean and (biased) variance and update the moving
    statistics in place, ``moving = moving * momentum + batch * (1 - momentum)``.
    Inference: normalize by the moving statistics. ``gamma``/``beta`` may be None.
    """

    @staticmethod
    def forward(ctx, x, gamma=None, beta=None, *, moving_mean, moving_variance,
                training=True, momentum=0.99, epsilon=1e-3):
        x2 = x.reshape(-1, x.shape[-1])
        dt = x.dtype.type
        if training:
            mean = x2.mean(axis=0)
            xc = x2 - mean
            var = np.einsum("ij,ij->j", xc, xc) / dt(x2.shape[0])
            moving_mean *= momentum
            moving_mean += (1 - momentum) * mean
            moving_variance *= momentum
            moving_variance += (1 - momentum) * var
            invstd = 1 / np.sqrt(var + dt(epsilon))
            xhat = xc
            xhat *= invstd
            out = xhat * gamma if gamma is not None else xhat.copy()
            if beta is not None:
                out += beta
        else:
            xhat, invstd, out = batch_norm_inference(x2, gamma, beta, moving_mean,
                                                     moving_variance, epsilon)
        ctx.training = training
        ctx.save_for_backward(xhat, invstd, gamma)
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        _array_only(g, "BatchNormalization")
        xhat, invstd, gamma = ctx.saved
        g2 = g.reshape(xhat.shape)
        gb = g2.sum(axis=0)
        gg = np.einsum("ij,ij->j", g2, xhat)
        gx = None
        if _need(ctx, 0):
            scale = invstd if gamma is None else invstd * gamma
            if ctx.training:
                n = xhat.shape[0]
                gx = g2 - gb / n
                gx -= xhat * (gg / n)
                gx *= scale
            else:
                gx = g2 * scale
            gx = gx.reshape(ctx.in_shapes[0])
        return (gx, gg if _need(ctx, 1) else None, gb if _need(ctx, 2) else None)


def softmax_array(z: np.ndarray) -> np.ndarray:
    """Softmax along the last axis, in place on ``z`` (which it returns)."""
    z -= z.max(axis=-1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=-1, keepdims=True)
    return z
