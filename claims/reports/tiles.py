"""The incident map's base tiles, from the settings (README, Configuration).

- `MAP_TILE_URL` (with `MAP_TILE_ATTRIBUTION`): an XYZ tile server, e.g. a government intranet's
  `https://tiles.intranet.example/{z}/{x}/{y}.png`; it wins when both are set;
- `TIANDITU_KEY`: Tianditu (天地图), the national platform's vector map (`vec_w`) with its Chinese labels (`cva_w`)
  over WMTS in Web Mercator, from its eight hosts t0-t7, with the key;
- neither: no tiles at all; the page draws the counties' and townships' centres with their names, so the map
  works without a network and the page names no outside address.

The origins the browser fetches tiles from are added to the pages' CSP `img-src` (claims/web.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

TIANDITU_HOSTS = tuple(f"t{n}.tianditu.gov.cn" for n in range(8))
TIANDITU_WMTS = (
    "https://t{s}.tianditu.gov.cn/%(layer)s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=%(layer)s&STYLE=default"
    "&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=%(key)s"
)
TIANDITU_ATTRIBUTION = "天地图"  # the platform's own name, the same in every language
MAX_ZOOM = 18


@dataclass(frozen=True)
class TileLayer:
    """One layer of tiles as Leaflet's L.tileLayer takes it: a URL template, its hosts' digits ({s}), the credit."""

    url: str
    attribution: str
    subdomains: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"url": self.url, "attribution": self.attribution, "subdomains": self.subdomains, "maxZoom": MAX_ZOOM}


def tile_layers(config: Mapping[str, Any]) -> list[TileLayer]:
    """The base layers, bottom first; none when no tile server is configured."""
    if config.get("MAP_TILE_URL"):
        return [TileLayer(config["MAP_TILE_URL"], config.get("MAP_TILE_ATTRIBUTION") or "")]
    key = config.get("TIANDITU_KEY")
    if key:
        return [TileLayer(TIANDITU_WMTS % {"layer": layer, "key": key}, TIANDITU_ATTRIBUTION, "01234567") for layer in ("vec", "cva")]
    return []


def tile_origins(config: Mapping[str, Any]) -> tuple[str, ...]:
    """The origins (scheme://host[:port]) the tiles come from, for the CSP; the page's own origin needs none."""
    if config.get("MAP_TILE_URL"):
        parts = urlsplit(config["MAP_TILE_URL"])
        host = parts.netloc.rpartition("@")[2]  # never a user or password from the address into a header
        return (f"{parts.scheme}://{host}",) if parts.scheme and host else ()
    if config.get("TIANDITU_KEY"):
        return tuple(f"https://{host}" for host in TIANDITU_HOSTS)
    return ()
