"""Labelled device-hour worlds for Bubble: per-register hourly counts with injected device anomalies
(docs/simulator.md, "Device-hour worlds").

    world = device_world(seed=0)        # 10 stores × 5 devices × 8 weeks, anomalies in weeks 5–8
    world.hours                         # list[DeviceHour], only hours with activity
    world.labels                        # list[DeviceLabel], positives and the hard negative
"""

from core.simulate.devices.labels import DeviceLabel
from core.simulate.devices.world import DeviceWorld, device_world

__all__ = ["DeviceLabel", "DeviceWorld", "device_world"]
