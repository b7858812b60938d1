"""Common-mode removal: a device against its store peers, a store against the chain."""

from __future__ import annotations

import numpy as np
import pytest

from core.bubble.peers import device_residuals, leave_top_out_sum, store_common_modes, store_residuals


def test_leave_one_out_residuals_by_hand() -> None:
    # one store, three devices, one dimension: z = 5, 1, 1 (5 is clipped to 3 as a peer)
    z = np.array([[5.0], [1.0], [1.0]])
    u = device_residuals(z, np.zeros(3, dtype=int), np.ones(3, dtype=bool), 1)
    assert u[:, 0].tolist() == pytest.approx([5 - 1, 1 - (3 + 1) / 2, 1 - (3 + 1) / 2])


def test_a_store_wide_shift_cancels_out_of_every_device() -> None:
    z = np.full((4, 2), 2.0)
    u = device_residuals(z, np.zeros(4, dtype=int), np.ones(4, dtype=bool), 1)
    assert np.allclose(u, 0.0)


def test_devices_are_compared_within_their_store_only() -> None:
    z = np.array([[2.0], [2.0], [0.0], [0.0]])
    store = np.array([0, 0, 1, 1])
    u = device_residuals(z, store, np.ones(4, dtype=bool), 2)
    assert np.allclose(u, 0.0)


def test_absent_devices_are_not_peers() -> None:
    z = np.array([[3.0], [0.0], [9.0]])
    present = np.array([True, True, False])
    u = device_residuals(z, np.zeros(3, dtype=int), present, 1)
    assert u[:2, 0].tolist() == pytest.approx([3.0, -3.0])


def test_store_common_mode_drops_the_wildest_device_and_the_chain_median() -> None:
    # store 0: one wild register (5) and three at 2 → common mode 2; stores 1 and 2 at 0 and 0.5
    z = np.array([[5.0], [2.0], [2.0], [2.0], [0.0], [0.0], [0.0], [0.5], [0.5], [0.5]])
    store = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2, 2])
    modes, counts = store_common_modes(z, store, np.ones(10, dtype=bool), 3)
    assert modes[:, 0].tolist() == pytest.approx([2.0, 0.0, 0.5])
    v = store_residuals(modes, counts)
    assert v[:, 0].tolist() == pytest.approx([1.5, -0.5, 0.0])


def test_a_chain_wide_shift_cancels_out_of_every_store() -> None:
    z = np.full((9, 1), 1.5)
    store = np.repeat([0, 1, 2], 3)
    modes, counts = store_common_modes(z, store, np.ones(9, dtype=bool), 3)
    assert np.allclose(store_residuals(modes, counts), 0.0)


def test_leave_top_one_out_sum() -> None:
    llr = np.array([[5.0, 1.0], [1.0, 1.0], [0.5, 2.0]])
    out = leave_top_out_sum(llr, np.zeros(3, dtype=int), np.ones(3, dtype=bool), 1)
    assert out[0].tolist() == pytest.approx([1.5, 2.0])
