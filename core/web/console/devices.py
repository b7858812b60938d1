"""The console's Devices page: per store, every POS device Bubble scores, with where it stands now
(its latest hour's state, score and top dimension, alerted hours in its last week, episodes) and its
baseline (the latest revision: peer prior, own history, sufficient, re-baselined), from
``BubbleViews.devices`` (docs/bubble.md). Needs ``read``; a GM's token sees only its stores."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from core.web.console.base import Console, page
from core.web.console.pages import _text


@page
def devices(console: Console, request: Request, _form: Mapping[str, Any]) -> Response:
    viewer = console.viewer(request)
    console.require(viewer, "read")
    store = _text(request.query_params, "store", 160)
    listing = console.deps.bubble_views.devices(viewer.merchant_id, store_id=store, stores=viewer.stores)
    return console.render("devices.html", viewer, nav="devices", listing=listing, store=store)
