"""Slider demos (filled in below)."""
