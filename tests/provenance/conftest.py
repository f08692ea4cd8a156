"""Shared fixtures: development credentials, clips and one sealed video per session."""

import numpy as np
import pytest

from provenance import Claims, init_dev_keys, seal
from provenance.clips import make_clip


@pytest.fixture(scope="session")
def credentials(tmp_path_factory):
    return init_dev_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="session")
def clip() -> np.ndarray:
    """2 s of a panned and zoomed natural image, 256x256 at 16 fps."""
    return make_clip(0, size=(256, 256), frames=32)


@pytest.fixture(scope="session")
def scene() -> np.ndarray:
    """2 s of a procedural scene with moving shapes."""
    return make_clip(1, size=(256, 256), frames=32)


@pytest.fixture(scope="session")
def claims() -> Claims:
    return Claims.for_generation(model="builtin-t2v", prompt="a red kite over a beach at dusk",
                                 settings={"steps": 30, "guidance": 5.0, "seed": 7})


@pytest.fixture(scope="session")
def sealed(tmp_path_factory, clip, claims, credentials):
    return seal(clip, 16, claims, credentials, tmp_path_factory.mktemp("sealed") / "sealed.mp4")
