"""Headless Chromium, driven by selenium: how a host runs the compute page unattended."""

from .chromium import ChromiumError, launch_chromium

__all__ = ["ChromiumError", "launch_chromium"]
