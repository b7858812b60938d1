"""The store's common mode, removed: a device is compared with its store peers, and a store with the
rest of the chain.

With w = clip(z, −3, 3) per device and dimension:
- a device's idiosyncratic score is u = z − mean of its present peers' w (leave-one-out), so a
  store-wide shift cancels out of every device;
- the store's common mode drops the most extreme device per dimension before averaging (one wild
  register moves it not at all), and the store is scored on that minus the chain's median store.
With one store there is no chain to compare with, and the store's own common mode is scored.
"""

from __future__ import annotations

import functools

import numpy as np

Array = np.ndarray
CLIP = 3.0


def device_residuals(z: Array, store: Array, present: Array, stores: int) -> Array:
    """u = z − leave-one-out mean of the clipped scores of the device's present store peers."""
    w = np.where(present[:, None], np.clip(z, -CLIP, CLIP), 0.0)
    sums = np.zeros((stores, z.shape[1]))
    np.add.at(sums, store, w)
    counts = np.bincount(store, weights=present.astype(float), minlength=stores)
    peers = counts[store] - present
    loo = (sums[store] - w) / np.maximum(peers, 1.0)[:, None]
    return np.asarray(np.where((peers > 0)[:, None], z - loo, z))


def _grouped(store: Array, present: Array, stores: int) -> tuple[Array, Array]:
    """Devices laid out per store: a (stores × most devices) table of device indices in device order
    (padding points at device 0) and whether each slot holds a present device."""
    table, slots = _table(store.tobytes(), store.dtype.str, stores)
    return table, slots & present[table]


@functools.lru_cache(maxsize=16)
def _table(raw: bytes, dtype: str, stores: int) -> tuple[Array, Array]:
    store = np.frombuffer(raw, dtype=dtype)
    order = np.argsort(store, kind="stable")
    sizes = np.bincount(store, minlength=stores)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    width = max(int(sizes.max(initial=0)), 1)
    slot = np.arange(len(store)) - starts[store[order]]
    table = np.zeros((stores, width), dtype=int)
    slots = np.zeros((stores, width), dtype=bool)
    table[store[order], slot] = order
    slots[store[order], slot] = True
    table.flags.writeable = slots.flags.writeable = False
    return table, slots


def store_common_modes(z: Array, store: Array, present: Array, stores: int) -> tuple[Array, Array]:
    """Per store: the common mode with the most extreme present device left out (dimension by
    dimension), and how many devices were present. Stores with fewer than three present devices get
    no common mode: leave-one-out of two is one device's word."""
    k = z.shape[1]
    counts = np.bincount(store, weights=present.astype(float), minlength=stores)
    table, filled = _grouped(store, present, stores)
    w = np.where(filled[:, :, None], np.clip(z, -CLIP, CLIP)[table], 0.0)  # stores × slots × k
    top = np.where(filled[:, :, None], np.abs(w), -1.0).argmax(axis=1)  # first of the most extreme
    total = w.sum(axis=1) - np.take_along_axis(w, top[:, None, :], axis=1)[:, 0, :]
    live = counts >= 3
    modes = np.zeros((stores, k))
    modes[live] = total[live] / (counts[live] - 1)[:, None]
    return modes, counts


def store_residuals(modes: Array, counts: Array) -> Array:
    """The store's common mode minus the chain's median store (over stores with a common mode)."""
    live = counts >= 3
    if live.sum() >= 2:
        return np.asarray(np.where(live[:, None], modes - _median(modes[live]), 0.0))
    return modes


def leave_top_out_sum(values: Array, store: Array, present: Array, stores: int) -> Array:
    """Σ − max over each store's present devices (per column): the evidence the store's CUSUM takes,
    so no single device can drive it."""
    table, filled = _grouped(store, present, stores)
    vs = values[table]
    total = np.where(filled[:, :, None], vs, 0.0).sum(axis=1)
    top = np.where(filled[:, :, None], vs, -np.inf).max(axis=1)
    two = filled.sum(axis=1) >= 2
    return np.asarray(np.where(two[:, None], total - np.where(two[:, None], top, 0.0), 0.0))


def _median(x: Array) -> Array:
    """np.median over axis 0 (the same values), without its overhead on a handful of rows."""
    if np.isnan(x).any():
        return np.asarray(np.median(x, axis=0))
    ordered = np.sort(x, axis=0)
    m = ordered.shape[0]
    if m % 2:
        return np.asarray(ordered[m // 2])
    return np.asarray((ordered[m // 2 - 1] + ordered[m // 2]) / 2.0)
