"""Open text-to-video models (Wan 2.1/2.2, LTX-Video, CogVideoX) through diffusers, from a local weights folder.

diffusers and torch are imported only when a backend is loaded, so importing this package stays cheap.
"""

from generation.diffusers_backend.backend import DIFFUSERS_BACKENDS, DiffusersBackend, load_diffusers_backend

__all__ = ["DIFFUSERS_BACKENDS", "DiffusersBackend", "load_diffusers_backend"]
