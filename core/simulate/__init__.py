"""The retail world simulator: a deterministic merchant (stores, stations, staff, customers, catalog)
trading day by day, with labelled loss scenarios injected, written the way Square and NCR Counterpoint
would send it. See docs/simulator.md.

    world = build_world(seed=7, stores=2, days=30, vertical="garden")
    output = generate(world)          # in memory: chunks of deliveries, API pages, CP units, labels
    write(output, Path("out"))        # or write(stream(world), Path("out")) one day at a time
"""

from core.simulate.build import build_world
from core.simulate.files import OutputDirectoryError, write
from core.simulate.output import Chunk, Output, generate, stream
from core.simulate.render.square_feed import Delivery, sign
from core.simulate.world import World

__all__ = [
    "Chunk",
    "Delivery",
    "Output",
    "OutputDirectoryError",
    "World",
    "build_world",
    "generate",
    "sign",
    "stream",
    "write",
]
