"""Pixels: decoding odd and hostile images, the rules, rendering and the render cache."""
